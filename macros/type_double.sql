{#-
    A 64-bit float column type. type_double() is a 32-bit FLOAT on DuckDB,
    too coarse for weights and decay maths, so we dispatch our own.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'intent_scoring')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}

{% macro snowflake__type_double() -%}float{%- endmacro %}
