{#-
    dbt's own get_where_subquery (the `where` config of a data test, applied to the tested
    model), with one placeholder: `__written_by_latest_run__` stands for
    "processed_at = the latest processed_at in the tested table". After an incremental run
    that is the rows the run (re)wrote; after a full build, every row. With
    var('test_every_row') it holds for every row.
    For row-level checks on the incremental event tables (not_null, accepted_values,
    accepted_range, relationships to a parent that only grows or is rebuilt by the same runs
    for the same keys, as sessions is for int_events_sessionized): a row a run did not write
    was checked by the run that wrote it, so a daily run checks its own rows instead of
    every row of the history. (Uniqueness, which old rows take part in, is checked by
    unique_incremental.)
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') %}
    {%- if where %}
        {%- if var('test_every_row') %}
            {%- set latest_run = '1 = 1' %}
        {%- else %}
            {%- set latest_run = written_by_latest_run(relation) %}
        {%- endif %}
        {%- do return('(select * from ' ~ relation ~ ' where '
            ~ where | replace('__written_by_latest_run__', latest_run) ~ ') dbt_subquery') %}
    {%- else %}
        {%- do return(relation) %}
    {%- endif %}
{%- endmacro %}
