{#-
    Roll-ups in passes: a model whose aggregates outgrow memory (the sessions roll-up
    past ~15M events with DuckDB's 6GB memory_limit, user_scores' explanations past ~15M
    contributions) rolls up its input one slice of users at a time, each pass small enough for its hash tables to stay in memory, the
    passes stacked with union all. Spilling aggregates cost far more than reading the
    input once per pass: at 30M events, sessions took 88 s in one pass and 36 s in two
    (its inputs read per pass, see inlined_cte).

    rollup_passes(relation, where): how many passes, from the rows of `relation` to
    roll up (those matching `where`, if given) and var('rollup_pass_rows'), the
    rows one pass takes (0: always one pass). One pass on engines other than DuckDB,
    which spill or shuffle on their own, and while the relation does not exist yet.
-#}
{% macro rollup_passes(relation, where=none) -%}
    {{ return(adapter.dispatch('rollup_passes', 'intent_scoring')(relation, where)) }}
{%- endmacro %}

{% macro default__rollup_passes(relation, where) -%}
    {{ return(1) }}
{%- endmacro %}

{% macro duckdb__rollup_passes(relation, where) -%}
    {%- set pass_rows = var('rollup_pass_rows') | int -%}
    {#- a unit test's mocked input (a CTE: no schema) or a relation not built yet: one pass -#}
    {%- if not execute or pass_rows <= 0 or relation.schema is none or load_relation(relation) is none -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select count(*) from ' ~ relation ~ (' where ' ~ where if where else '')
    ).columns[0].values()[0] | int -%}
    {#- at most 64 passes, however small the var: each pass reads its input once more -#}
    {{ return([1, [64, (rows + pass_rows - 1) // pass_rows] | min] | max) }}
{%- endmacro %}

{#- A condition true for the rows of one pass (0-based) of `passes` (more than one), by a hash of
    `expression` (a user id: all of a user's events fall in the same pass). -#}
{% macro in_rollup_pass(expression, pass_number, passes) -%}
    {{ return(adapter.dispatch('in_rollup_pass', 'intent_scoring')(expression, pass_number, passes)) }}
{%- endmacro %}

{% macro default__in_rollup_pass(expression, pass_number, passes) -%}
    {{ exceptions.raise_compiler_error("roll-up passes are implemented for DuckDB only") }}
{%- endmacro %}

{% macro duckdb__in_rollup_pass(expression, pass_number, passes) -%}
    hash({{ expression }}) % {{ passes }} = {{ pass_number }}
{%- endmacro %}
