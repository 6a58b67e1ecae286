{#-
    Roll-ups in passes: a model whose aggregates or sorts outgrow memory (the sessions
    roll-up and the sessionization's windows past ~15M events with DuckDB's 6GB
    memory_limit) works on one slice of users at a time, each pass small enough for its
    hash tables or sort to stay in memory, the passes stacked with union all (at 100M
    events, sessionizing in 7 passes took 92 s against ~111 s in one). Spilling
    aggregates cost far more than reading the input once per pass: at 30M events, sessions
    took 88 s in one pass and 36 s in two (its inputs read per pass, see inlined_cte).

    A pass is a range of user ids, not a hash bucket: a range is a plain comparison the
    engine checks inside its table scan, before it reads the other columns, while a hash
    of the id is computed after the scan has produced every row (DuckDB does not push an
    expression through a view such as stg_web__events). At 10M events in 7 passes the
    sessions roll-up took 12.6 s by range against 16.5 s by hash.

    rollup_pass_bounds(relation, column, where): the user ids where passes start, from
    the rows of `relation` to roll up (those matching `where`, if given) and
    var('rollup_pass_rows'), the rows one pass takes (0: always one pass): empty for one
    pass, else the sorted lower bounds of passes 2, 3, ... (quantiles of `column` in a
    sample of those rows, so the passes get about as many rows each). One pass on engines
    other than DuckDB, which spill or shuffle on their own, and while the relation does
    not exist yet.
-#}
{% macro rollup_pass_bounds(relation, column='user_id', where=none) -%}
    {{ return(adapter.dispatch('rollup_pass_bounds', 'intent_scoring')(relation, column, where)) }}
{%- endmacro %}

{% macro default__rollup_pass_bounds(relation, column, where) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro duckdb__rollup_pass_bounds(relation, column, where) -%}
    {%- set pass_rows = var('rollup_pass_rows') | int -%}
    {#- a unit test's mocked input (a CTE: no schema) or a relation not built yet: one pass -#}
    {%- if not execute or pass_rows <= 0 or relation.schema is none or load_relation(relation) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set filtered = relation ~ (' where ' ~ where if where else '') -%}
    {%- set rows = run_query('select count(*) from ' ~ filtered).columns[0].values()[0] | int -%}
    {#- at most 64 passes, however small the var: each pass reads its input once more -#}
    {%- set passes = [1, [64, (rows + pass_rows - 1) // pass_rows] | min] | max -%}
    {%- if passes == 1 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set fractions = [] -%}
    {%- for pass in range(1, passes) -%}
        {%- do fractions.append(pass / passes) -%}
    {%- endfor -%}
    {%- set bounds = run_query(
        'select unnest(quantile_disc(' ~ column ~ ', [' ~ fractions | join(', ') ~ '])) from (select '
        ~ column ~ ' from ' ~ filtered ~ ') as rows_to_roll_up using sample 100000 rows'
    ).columns[0].values() | list -%}
    {#- the same id twice (a user with a huge share of the rows) would make an empty pass -#}
    {{ return(bounds | reject('none') | unique | sort) }}
{%- endmacro %}

{#- A condition true for the rows of one pass (0-based) given the lower bounds of passes
    2, 3, ... from rollup_pass_bounds: `expression` (a user id: all of a user's rows fall in
    the same pass) at or above the pass's bound and below the next one. A null id falls in
    the first pass, so no row is left out. -#}
{% macro in_rollup_pass(expression, pass_number, bounds) -%}
    {%- set conditions = [] -%}
    {%- if pass_number > 0 -%}
        {%- do conditions.append(expression ~ ' >= ' ~ rollup_bound_literal(bounds[pass_number - 1])) -%}
    {%- endif -%}
    {%- if pass_number < bounds | length -%}
        {%- do conditions.append(expression ~ ' < ' ~ rollup_bound_literal(bounds[pass_number])) -%}
    {%- endif -%}
    {%- if pass_number == 0 -%}
        ({{ conditions | join(' and ') }} or {{ expression }} is null)
    {%- else -%}
        ({{ conditions | join(' and ') }})
    {%- endif -%}
{%- endmacro %}

{#- A bound as a SQL string literal, quotes doubled. -#}
{% macro rollup_bound_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
