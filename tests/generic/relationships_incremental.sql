{#-
    `relationships` for an incremental child table whose runs stamp the rows they
    write with processed_at: every non-null column_name value has a row in `to`
    with that `field`. After an incremental run only the rows the latest run wrote
    (max(processed_at)) are looked up: the parent (`to`) must be rebuilt by the
    same runs for the same keys (as sessions is for int_events_sessionized), so an
    untouched child row keeps its parent. After a full build the latest run wrote
    every row; var('test_every_row') checks every row whatever the latest run wrote
    (as after a failure: a later run that does not rewrite the orphan does not look again).
-#}
{% test relationships_incremental(model, column_name, to, field) %}

with

-- the child rows to check
children as (
    select {{ column_name }} as from_field
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if not var('test_every_row') %}
        and processed_at = (select max(processed_at) from {{ model }})
        {%- endif %}
),

parents as (
    select {{ field }} as to_field
    from {{ to }}
)

select children.from_field
from children
left join parents
    on children.from_field = parents.to_field
where parents.to_field is null

{% endtest %}
