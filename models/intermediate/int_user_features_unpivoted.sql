-- one row per (user, feature named in seeds/weights.csv): the feature's raw value, long format
-- depends_on: {{ ref('int_weights_validated') }}
{#- The features come from the seed, so adding a feature is a new user_features
    column plus a seed row: this SQL does not change. -#}
{%- set features = [] -%}
{%- if execute -%}
    {%- set features = run_query(
        'select distinct feature from ' ~ ref('int_weights_validated') ~ ' order by 1'
    ).columns[0].values() -%}
{%- endif %}
with

user_features as (
    select * from {{ ref('user_features') }}
),

-- one select per feature, stacked
unpivoted as (
    {%- for feature in features %}
    select
        user_id,
        '{{ feature }}' as feature,
        cast({{ adapter.quote(feature) }} as {{ type_double() }}) as raw_value
    from user_features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_string() }}) as feature,
        cast(null as {{ type_double() }}) as raw_value
    where 1 = 0
    {%- endfor %}
),

final as (
    select
        {{ dbt.concat(["user_id", "'|'", "feature"]) }} as user_feature_key,
        user_id,
        feature,
        raw_value
    from unpivoted
)

select * from final
