{#-
    The features named in seeds/weights.csv (validated), for one weight set or all,
    read when the model compiles (unit tests too: the list is the real seed's, the
    weights themselves are mocked): the scoring SQL loops over them, so adding a feature
    is a user_features column plus a seed row and no SQL change. Empty while compiling
    against a warehouse where the validated weights do not exist yet.
-#}
{% macro seed_features(weight_set=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {#- by name, not with ref(): in a unit test ref() names the mocked input -#}
    {%- set relation = adapter.get_relation(
        database=target.database, schema=generate_schema_name('intermediate', none),
        identifier='int_weights_validated') -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set where = "" if weight_set is none else " where weight_set = '" ~ weight_set ~ "'" -%}
    {{ return(run_query(
        "select distinct feature from " ~ relation ~ where ~ " order by 1"
    ).columns[0].values() | list) }}
{%- endmacro %}

{#- Score points of one feature: 100 · weight · normalized value / the set's positive weight sum. -#}
{% macro feature_points(value, weight, transform, cap, positive_weight_sum) -%}
    100.0 * {{ weight }} * {{ normalize_feature(value, transform, cap) }} / {{ positive_weight_sum }}
{%- endmacro %}
