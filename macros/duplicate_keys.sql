{#-
    The rows of a uniqueness test: each value of `columns` (a key, one column or several)
    held by more than one row of `relation`, with n_records, the number of rows holding it.
    `output_names` renames the key columns in the output (dbt's `unique` calls its column
    unique_field); `skip_nulls` leaves rows with a null key out, as `unique` does.
-#}
{% macro duplicate_keys(relation, columns, output_names=none, skip_nulls=false) -%}
    {{ return(adapter.dispatch('duplicate_keys', 'intent_scoring')(relation, columns, output_names, skip_nulls)) }}
{%- endmacro %}

{#- A null check on every key column, or nothing. -#}
{% macro key_not_null(columns, skip_nulls, keyword='where') -%}
    {%- if skip_nulls %}
    {{ keyword }} {% for column in columns %}{{ column }} is not null{{ " and " if not loop.last }}{% endfor %}
    {%- endif %}
{%- endmacro %}

{% macro key_columns_named(columns, output_names) -%}
    {%- for column in columns %}
    {{ column }}{{ " as " ~ output_names[loop.index0] if output_names }},
    {%- endfor %}
{%- endmacro %}

{#- Group the key values, as dbt's own tests do. -#}
{% macro default__duplicate_keys(relation, columns, output_names, skip_nulls) -%}
select
    {{- key_columns_named(columns, output_names) }}
    count(*) as n_records
from {{ relation }}
{{- key_not_null(columns, skip_nulls) }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- endmacro %}

{#- DuckDB: group 64-bit hashes of the key (key_hash) first, then the key values of the few hashes held by
    more than one row (every duplicate, and the rare distinct keys that collide). Exact, and a
    hash table of integers instead of strings: at 100M events the unique test on
    int_events_sessionized.event_id took 12.5 s instead of 22.6 s (1.1 -> 0.9 s at 10M). -#}
{% macro duckdb__duplicate_keys(relation, columns, output_names, skip_nulls) -%}
with

-- hashes of keys held by more than one row
repeated_hashes as (
    select {{ key_hash(columns | join(', ')) }} as key_hash
    from {{ relation }}
    {{- key_not_null(columns, skip_nulls) }}
    group by 1
    having count(*) > 1
)

-- the keys behind them that are held by more than one row
select
    {{- key_columns_named(columns, output_names) }}
    count(*) as n_records
from {{ relation }}
where
    {{ key_hash(columns | join(', ')) }} in (select repeated_hashes.key_hash from repeated_hashes)
    {{- key_not_null(columns, skip_nulls, 'and') }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- endmacro %}

{#- dbt's `unique` test, on DuckDB by way of the hashes above (a root project's dispatch
    implementation of a dbt macro takes precedence over dbt's own). -#}
{% macro duckdb__test_unique(model, column_name) -%}
    {{ duckdb__duplicate_keys(model, [column_name], ['unique_field'], skip_nulls=true) }}
{%- endmacro %}
