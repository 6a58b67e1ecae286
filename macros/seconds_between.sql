{#- Whole seconds from one timestamp to a later one, via dbt's cross-database datediff,
    on one line so it composes inside expressions. -#}
{% macro seconds_between(start, end) -%}
    {{ dbt.datediff(start, end, 'second') | replace('\n', ' ') | trim }}
{%- endmacro %}
