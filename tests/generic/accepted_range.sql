{#-
    Every non-null value of the column lies within [min_value, max_value]
    (either bound may be omitted). Our stand-in for dbt_utils.accepted_range,
    which we cannot install here. Returns the rows outside the range.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}

select {{ column_name }} as out_of_range_value
from {{ model }}
where
    {{ column_name }} is not null
    and (
        1 = 0
        {{- or_outside_range(column_name, min_value, max_value) }}
    )

{% endtest %}
