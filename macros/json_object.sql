{#-
    A JSON object text {"key": value, ...} built from a fixed list of keys, one
    aggregate per key (value_expression for rows where key_column = key), in key
    order; a missing value is null. Plain string concatenation: portable, and a
    hash aggregate rather than an ordered string aggregate.
-#}
{% macro json_object_by_key(keys, key_column, value_expression) -%}
    {%- set members = [] -%}
    {%- for key in keys -%}
        {%- do members.append(
            "'\"" ~ key ~ "\":' || coalesce(cast(max(case when " ~ key_column ~ " = '" ~ key ~ "' then "
            ~ value_expression ~ " end) as " ~ dbt.type_string() ~ "), 'null')"
        ) -%}
    {%- endfor -%}
    {%- if members -%}
        '{' || {{ members | join(" || ',' || ") }} || '}'
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
