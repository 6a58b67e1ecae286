{#-
    `unique` for an incremental table whose runs stamp the rows they write with
    processed_at: no value of column_name appears on more than one row. A run can
    only add a duplicate with a row it wrote, so when the latest run (max(processed_at))
    wrote only some rows, the test looks up just the values it wrote across the
    whole table: as strong as `unique` given that earlier runs passed, without
    grouping every row. When it wrote every row (a full build), or with
    var('test_every_row'), every row is grouped, as `unique` does. The price: a
    duplicate reported after one run is not looked at again by a later run that
    does not rewrite it, so confirm a fix with var('test_every_row') or a full refresh.
-#}
{% test unique_incremental(model, column_name) %}

{#- the latest run wrote every row (or the table is not there yet, as in `dbt compile`) -#}
{%- set every_row = var('test_every_row') or not execute or load_relation(model) is none %}
{%- if not every_row %}
    {%- set every_row = run_query(
        'select min(processed_at) = max(processed_at) from ' ~ model
    ).columns[0].values()[0] != false %}
{%- endif %}

{%- if every_row %}

{#- dbt's own `unique` -#}
{{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}

{%- else %}

with

-- the values the latest run wrote
written as (
    select {{ column_name }} as unique_field
    from {{ model }}
    where
        {{ written_by_latest_run(model) }}
        and {{ column_name }} is not null
),

-- every row holding one of them, old or new
holders as (
    select {{ column_name }} as unique_field
    from {{ model }}
    where {{ column_name }} in (select written.unique_field from written)
)

select
    unique_field,
    count(*) as n_records
from holders
group by unique_field
having count(*) > 1

{%- endif %}

{% endtest %}
