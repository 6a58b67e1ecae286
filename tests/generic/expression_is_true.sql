{#-
    Every row satisfies the boolean SQL expression (rows where it is false or
    null fail). Our stand-in for dbt_utils.expression_is_true.
-#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
