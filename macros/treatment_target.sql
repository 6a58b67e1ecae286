{#-
    How many of a stratum's first `new_users` new users belong in treatment: the stratum's target
    floor((held + new_users) * share) less the `treated` users it already holds in treatment, at
    least 0 and at most `new_users`. From one new user to the next it steps by 0 or 1, so
    experiment_assignments puts the k-th new user in treatment when it steps; a stratum that lost
    rows evens out again. (With nothing held it steps when floor(k * share) does.)
-#}
{% macro treatment_target(new_users, held, treated, share) -%}
    least(
        {{ new_users }},
        greatest(0, cast(floor(({{ held }} + {{ new_users }}) * {{ share }}) as {{ dbt.type_bigint() }}) - {{ treated }})
    )
{%- endmacro %}
