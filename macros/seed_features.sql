{#-
    The features named in seeds/weights.csv (validated), for one weight set or all,
    read when the model compiles (unit tests too: the list is the real seed's, the
    weights themselves are mocked): the scoring SQL loops over them, so adding a feature
    is a user_features column plus a seed row and no SQL change. Empty while compiling
    against a warehouse where the validated weights do not exist yet.
-#}
{#- The validated weights table (int_weights_validated), found by name, not with ref(): in a unit
    test ref() names the mocked input. None while it does not exist yet. -#}
{% macro validated_weights_relation() -%}
    {{ return(adapter.get_relation(
        database=target.database, schema=generate_schema_name('intermediate', none),
        identifier='int_weights_validated')) }}
{%- endmacro %}

{% macro seed_features(weight_set=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set relation = validated_weights_relation() -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set where = "" if weight_set is none else " where weight_set = '" ~ weight_set ~ "'" -%}
    {{ return(run_query(
        "select distinct feature from " ~ relation ~ where ~ " order by 1"
    ).columns[0].values() | list) }}
{%- endmacro %}

{#- Score points of one feature: 100 · weight · normalized value / the set's positive weight sum. -#}
{% macro feature_points(normalized_value, weight, positive_weight_sum) -%}
    100.0 * {{ weight }} * {{ normalized_value }} / {{ positive_weight_sum }}
{%- endmacro %}

{#-
    The seed features of `relation` (a CTE of user features) stacked into long format:
    one select per feature, union all, giving the key columns, `feature` and `raw_value`
    (a float). With no features yet (compiling against an empty warehouse) it is an empty
    select of the same shape.
-#}
{% macro unpivot_features(relation, features, key_columns) -%}
    {%- for feature in features %}
    select
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        '{{ feature }}' as feature,
        cast({{ adapter.quote(feature) }} as {{ type_double() }}) as raw_value
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as feature,
        cast(null as {{ type_double() }}) as raw_value
    from {{ relation }}
    where 1 = 0
    {%- endfor %}
{%- endmacro %}
