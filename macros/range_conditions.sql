{#- `or <column> < min_value` / `or <column> > max_value` for the bounds given (none: nothing),
    the out-of-range part of the range tests (accepted_range, columns_not_null_within_range). -#}
{% macro or_outside_range(column, min_value=none, max_value=none) -%}
    {%- if min_value is not none %}
    or {{ column }} < {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
    or {{ column }} > {{ max_value }}
    {%- endif %}
{%- endmacro %}
