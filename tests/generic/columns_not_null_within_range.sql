{#-
    Every listed column is not null and lies within [min_value, max_value] (either
    bound may be omitted), all in one test: for a wide table of counts this is one
    query instead of a not_null and an accepted_range test per column, each paying
    dbt's own cost per test node. Returns one row per failing (row, column): the
    column's name and its value (null when missing).
-#}
{% test columns_not_null_within_range(model, columns, min_value=none, max_value=none) %}

{%- for column in columns %}
select
    '{{ column }}' as failing_column,
    cast({{ column }} as {{ type_double() }}) as failing_value
from {{ model }}
where
    {{ column }} is null
    {{- or_outside_range(column, min_value, max_value) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}

{% endtest %}
