{#-
    No two rows share the same values in all of these columns (a composite primary
    key). Our stand-in for dbt_utils.unique_combination_of_columns: one row per
    repeated combination fails. Lets a table keep its key as the columns it is made
    of rather than store a concatenated key column.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{{ duplicate_keys(model, combination_of_columns) }}

{% endtest %}
