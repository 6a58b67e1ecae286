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
