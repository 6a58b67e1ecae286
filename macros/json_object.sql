{#-
    A JSON object text {"key": value, ...} built from a fixed list of keys, one
    aggregate per key (value_expression for rows where key_column = key), in key
    order; a missing value is null. An aggregate expression: use it with a group by.
-#}
{% macro json_object_by_key(keys, key_column, value_expression) -%}
    {{ return(adapter.dispatch('json_object_by_key', 'intent_scoring')(keys, key_column, value_expression)) }}
{%- endmacro %}

{#- One value per key, as used by both forms below. -#}
{% macro json_member_value(key, key_column, value_expression) -%}
    max(case when {{ key_column }} = '{{ key }}' then {{ value_expression }} end)
{%- endmacro %}

{#- Plain string concatenation: portable, and a hash aggregate rather than an ordered string aggregate. -#}
{% macro default__json_object_by_key(keys, key_column, value_expression) -%}
    {%- set members = [] -%}
    {%- for key in keys -%}
        {%- do members.append(
            "'\"" ~ key ~ "\":' || coalesce(cast(" ~ json_member_value(key, key_column, value_expression)
            ~ " as " ~ dbt.type_string() ~ "), 'null')"
        ) -%}
    {%- endfor -%}
    {%- if members -%}
        '{' || {{ members | join(" || ',' || ") }} || '}'
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{#- DuckDB's json_object: the same text for numbers (431K users' contributions compared
    equal), 2.2x faster than concatenating 17 casts per user. -#}
{% macro duckdb__json_object_by_key(keys, key_column, value_expression) -%}
    {%- if keys -%}
        cast(json_object(
            {%- for key in keys %}
            '{{ key }}', {{ json_member_value(key, key_column, value_expression) }}{{ "," if not loop.last }}
            {%- endfor %}
        ) as {{ dbt.type_string() }})
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
