{#-
    Builds in passes: a model whose sorts or hash tables outgrow memory (the sessionization's
    windows and the sessions roll-up past ~15M events under DuckDB's 6GB memory_limit) is
    built one slice of users at a time, each slice small enough to stay in memory: the
    table is created from the first slice and each further slice is inserted, one
    statement each, so only one slice is ever in flight.

    One statement per pass, not one statement stacking the slices with `union all`: DuckDB
    runs the branches of a union at the same time (every branch's joins and aggregates
    build their hash tables before any of them is drained), so the union held every slice
    at once and bounded nothing. At 100M events the sessions roll-up took 200 s as a union
    of 7 slices and 114 s as 7 statements.

    How a model uses it (DuckDB; on other engines, which spill or shuffle on their own,
    both calls do nothing and the model is one plain statement):
      {% do plan_rollup_passes(ref('upstream'), where='...') %}   -- at the top
      ... where {{ in_rollup_pass('upstream.user_id') }} ...       -- on every input
    plan_rollup_passes cuts the users into slices of about var('rollup_pass_rows') rows
    of the input (0: always one slice) and hands the cuts to this model's build;
    in_rollup_pass is the filter keeping the current slice's rows. The build (the
    create_table_as below) sets the slice through two DuckDB variables before each
    statement; when they are unset, as in a unit test or when the compiled SQL is run by
    hand, the filter keeps every row and the SQL is the whole model. The cuts reach the
    build through a third variable, set while the model compiles, on the connection dbt
    then builds it on; a build that finds no cuts for its model builds in one statement.

    A slice is a range of user ids, not a hash bucket: a range is a plain comparison the
    engine checks inside its table scan (the variables fold into constants), skipping the
    other users' row groups before reading their columns, while a hash of the id is
    computed after the scan has produced every row.
-#}

{#- The DuckDB variables: the planned cuts (JSON, from compile to build) and the current
    slice's lower and upper bound (unset: no bound). -#}
{% macro rollup_variable(name) -%}
    intent_scoring_rollup_{{ name }}
{%- endmacro %}

{#- Plans this model's passes over `relation` (the rows it rolls up, those matching `where` if
    given): the user ids (`column`, a string column: the cuts are compared as strings) where
    slices 2, 3, ... start, at quantiles of a sample, so the slices get about as many rows
    each. At most 64 slices, however small the var. -#}
{% macro plan_rollup_passes(relation, column='user_id', where=none) -%}
    {{ return(adapter.dispatch('plan_rollup_passes', 'intent_scoring')(relation, column, where)) }}
{%- endmacro %}

{% macro default__plan_rollup_passes(relation, column, where) -%}
{%- endmacro %}

{% macro duckdb__plan_rollup_passes(relation, column, where) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set bounds = [] -%}
    {%- set pass_rows = var('rollup_pass_rows') | int -%}
    {#- a unit test's mocked input (a CTE: no schema) or a relation not built yet: one pass -#}
    {%- if pass_rows > 0 and relation.schema is not none and load_relation(relation) is not none -%}
        {%- set filtered = relation ~ (' where ' ~ where if where else '') -%}
        {%- set rows = run_query('select count(*) from ' ~ filtered).columns[0].values()[0] | int -%}
        {%- set passes = [1, [64, (rows + pass_rows - 1) // pass_rows] | min] | max -%}
        {%- if passes > 1 -%}
            {%- set fractions = [] -%}
            {%- for pass in range(1, passes) -%}
                {%- do fractions.append(pass / passes) -%}
            {%- endfor -%}
            {%- set sampled = run_query(
                'select unnest(quantile_disc(' ~ column ~ ', [' ~ fractions | join(', ') ~ '])) from (select '
                ~ column ~ ' from ' ~ filtered ~ ') as rows_to_roll_up using sample 100000 rows'
            ).columns[0].values() | list -%}
            {#- the same id twice (a user with a huge share of the rows) would make an empty slice -#}
            {%- set bounds = sampled | reject('none') | map('string') | unique | sort | list -%}
        {%- endif -%}
    {%- endif -%}
    {#- recorded even when empty, so a build never picks up another model's plan; and no slice
        left set by a build that failed midway is in force while this model compiles or runs
        whole (a unit test) -#}
    {%- set plan = tojson({'model': model.unique_id, 'bounds': bounds}) -%}
    {%- do run_query(set_rollup_variable('plan', plan)) -%}
    {%- do run_query(set_rollup_variable('pass_from', none)) -%}
    {%- do run_query(set_rollup_variable('pass_to', none)) -%}
{%- endmacro %}

{#- A condition true for the rows of the current slice: `expression` (a user id: all of a
    user's rows fall in the same slice) within the slice's bounds; a null id goes with the
    first slice, so no row is left out. Every row when no slice is set. -#}
{% macro in_rollup_pass(expression) -%}
    {{ return(adapter.dispatch('in_rollup_pass', 'intent_scoring')(expression)) }}
{%- endmacro %}

{% macro default__in_rollup_pass(expression) -%}
    true
{%- endmacro %}

{% macro duckdb__in_rollup_pass(expression) -%}
    {%- set lower = "getvariable('" ~ rollup_variable('pass_from') ~ "')" -%}
    {%- set upper = "getvariable('" ~ rollup_variable('pass_to') ~ "')" -%}
    (
        ({{ lower }} is null or {{ expression }} >= {{ lower }})
        and ({{ upper }} is null or {{ expression }} < {{ upper }})
        or ({{ expression }} is null and {{ lower }} is null)
    )
{%- endmacro %}

{#- dbt's create_table_as (every materialization creates its table, or an incremental run's
    temporary table, through it), building a model in the passes it planned. -#}
{% macro create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {#- dbt-duckdb's create_table_as takes partitioned_by and sorted_by; dbt-spark's does not, so
        they are passed on only when set -#}
    {%- if partitioned_by is none and sorted_by is none -%}
        {%- set build = adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code, language) -%}
    {%- else -%}
        {%- set build = adapter.dispatch('create_table_as', 'dbt')(
            temporary, relation, compiled_code, language, partitioned_by=partitioned_by, sorted_by=sorted_by
        ) -%}
    {%- endif -%}
    {{ return(adapter.dispatch('build_in_rollup_passes', 'intent_scoring')(
        build, temporary, relation, compiled_code, language
    )) }}
{%- endmacro %}

{% macro default__build_in_rollup_passes(build, temporary, relation, compiled_code, language) -%}
    {{ return(build) }}
{%- endmacro %}

{#- The build as statements: each slice's bounds set, then the table created from the first
    slice and each other slice inserted; the bounds unset at the end. -#}
{% macro duckdb__build_in_rollup_passes(build, temporary, relation, compiled_code, language) -%}
    {%- if language != 'sql' or rollup_variable('pass_from') not in compiled_code -%}
        {{ return(build) }}
    {%- endif -%}
    {%- set bounds = planned_rollup_bounds() -%}
    {%- if bounds -%}
        {%- do log(model.name ~ ': built in ' ~ (bounds | length + 1) ~ ' passes over slices of users', info=true) -%}
    {%- endif -%}
    {%- set target_relation = relation.include(database=(not temporary), schema=(not temporary)) -%}
    {%- set statements = [] -%}
    {%- for pass in range(bounds | length + 1) -%}
        {%- set lower = bounds[pass - 1] if pass > 0 else none -%}
        {%- set upper = bounds[pass] if pass < bounds | length else none -%}
        {%- do statements.append(set_rollup_variable('pass_from', lower)) -%}
        {%- do statements.append(set_rollup_variable('pass_to', upper)) -%}
        {%- do statements.append(build if pass == 0 else
            'insert into ' ~ target_relation ~ ' by name select * from (\n' ~ compiled_code ~ '\n) as rollup_pass'
        ) -%}
    {%- endfor -%}
    {%- do statements.append(set_rollup_variable('pass_from', none)) -%}
    {%- do statements.append(set_rollup_variable('pass_to', none)) -%}
    {%- set terminated = [] -%}
    {%- for statement in statements -%}
        {%- do terminated.append(statement | trim if (statement | trim).endswith(';') else (statement | trim) ~ ';') -%}
    {%- endfor -%}
    {{ return(terminated | join('\n')) }}
{%- endmacro %}

{#- The cuts plan_rollup_passes recorded for this model (none: one pass), consumed: a later
    build never reuses them. -#}
{% macro planned_rollup_bounds() -%}
    {%- set variable = rollup_variable('plan') -%}
    {%- set planned = run_query("select getvariable('" ~ variable ~ "')").columns[0].values()[0] -%}
    {%- do run_query(set_rollup_variable('plan', none)) -%}
    {%- if planned is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set plan = fromjson(planned) -%}
    {{ return(plan['bounds'] if plan['model'] == model.unique_id else []) }}
{%- endmacro %}

{#- The statement setting one of the variables to a value (a string), or unsetting it (none):
    an unset variable reads as an untyped null, which compares with any column. -#}
{% macro set_rollup_variable(name, value) -%}
    {%- if value is none -%}
        reset variable {{ rollup_variable(name) }}
    {%- else -%}
        set variable {{ rollup_variable(name) }} = '{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
