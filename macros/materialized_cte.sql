{#-
    The keyword that makes the engine compute a CTE once and keep its rows, placed as
    `name as {{ materialized_cte() }} (...)`. DuckDB otherwise streams a CTE read once
    into its consumer: for the sessions at each cutoff, streamed from an inequality join
    into the features' big aggregate, that ran out of memory at 100M events, where the
    materialized rows spill to disk. Other engines keep their own plan.
-#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'intent_scoring')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}

{#-
    The opposite keyword, `name as {{ inlined_cte() }} (...)`: the engine reads the CTE's
    source again for each reference instead of keeping its rows. DuckDB keeps a CTE read
    several times in memory, every column of every row: for base_web__events' typed raw
    events at 30M events that crowded out the dedup's hash tables, and reading the raw
    table again per reference took 54 -> 35 s (no change at 10M).
-#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte', 'intent_scoring')()) }}
{%- endmacro %}

{% macro default__inlined_cte() -%}
{%- endmacro %}

{% macro duckdb__inlined_cte() -%}
    not materialized
{%- endmacro %}
