{#-
    round(expression, digits) on any engine: Postgres has no round(double precision, int),
    so there the value is rounded as numeric and cast back to double precision.
-#}
{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to', 'intent_scoring')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_to(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}
