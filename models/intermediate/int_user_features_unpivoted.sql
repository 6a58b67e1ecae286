-- one row per (user, cutoff, feature named in seeds/weights.csv): the feature's raw value, long format
-- depends_on: {{ ref('int_weights_validated') }}
{#- The features come from the seed, so adding a feature is a new user_features
    column plus a seed row: this SQL does not change. -#}
{%- set features = [] -%}
{#- The relation is missing only when compiling against an empty warehouse. -#}
{%- if execute and load_relation(ref('int_weights_validated')) is not none -%}
    {%- set features = run_query(
        'select distinct feature from ' ~ ref('int_weights_validated') ~ ' order by 1'
    ).columns[0].values() -%}
{%- endif %}
with

features as (
    select * from {{ ref('int_user_features_at_cutoff') }}
),

-- one select per feature, stacked
unpivoted as (
    {%- for feature in features %}
    select
        user_id,
        offset_days,
        '{{ feature }}' as feature,
        cast({{ adapter.quote(feature) }} as {{ type_double() }}) as raw_value
    from features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    -- no seed features known yet (compiling against an empty warehouse)
    select
        user_id,
        offset_days,
        cast(null as {{ dbt.type_string() }}) as feature,
        cast(null as {{ type_double() }}) as raw_value
    from features
    where 1 = 0
    {%- endfor %}
),

final as (
    select
        {{ dbt.concat([
            "user_id", "'|'", "cast(offset_days as " ~ dbt.type_string() ~ ")", "'|'", "feature"
        ]) }} as user_cutoff_feature_key,
        user_id,
        offset_days,
        feature,
        raw_value
    from unpivoted
)

select * from final
