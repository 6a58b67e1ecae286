{#-
    Incremental builds: the heavy event-level models reprocess only the users with
    new events (every event of those users, so late arrivals and sessions spanning
    the load boundary come out exactly as in a full refresh). DuckDB runs them
    incrementally; other engines build them as tables.
-#}

{#- The config every incremental event model shares; unique_key is what a batch replaces. -#}
{% macro incremental_by_user_config(unique_key='user_id') -%}
    {{ config(
        materialized=('incremental' if target.type == 'duckdb' else 'table'),
        incremental_strategy='delete+insert',
        unique_key=unique_key,
        on_schema_change='fail',
    ) }}
{%- endmacro %}

{#- When this run processed rows: set on every row a run (re)writes. -#}
{% macro processed_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A condition keeping the rows of `relation` the latest run (re)wrote: every row after a full build. -#}
{% macro written_by_latest_run(relation) -%}
    processed_at = (select max(processed_at) from {{ relation }})
{%- endmacro %}

{#- The latest processed_at already in this model (a date long past when empty). -#}
{% macro last_processed_at(column='processed_at') -%}
    (select coalesce(max({{ column }}), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
{%- endmacro %}

{#- On an incremental run, a where clause keeping the upstream rows (re)written since this model
    last ran. The upstream incremental-by-user models rewrite every row of a changed user with
    that run's processed_at, so this keeps exactly the users to redo, whole. Nothing on a full
    build. Placed right after the `from`: `select * from upstream{{ where_processed_since_last_run() }}`. -#}
{% macro where_processed_since_last_run() -%}
    {%- if is_incremental() %}
    where processed_at > {{ last_processed_at() }}
    {%- endif %}
{%- endmacro %}
