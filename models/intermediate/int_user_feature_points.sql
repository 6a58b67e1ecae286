-- one row per (user, seed feature) at as_of under var('weight_set'): the feature's value,
-- normalized value and score points, and nothing that is the same for every user
-- (user_score_contributions adds the seed's weight, cap and reason phrase to each row)
-- depends_on: {{ ref('int_weights_validated') }}
{%- set features = seed_features(var('weight_set')) %}
with

features as (
    select * from {{ ref('user_features') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

-- the weight set in effect
current_weights as (
    select * from weights
    where weight_set = '{{ var("weight_set") }}'
),

-- one select per seed feature, stacked: (user, feature, raw value)
unpivoted as (
    {{ unpivot_features('features', features, ['user_id']) }}
),

-- normalize with the seed's transform and cap only (no batch statistics)
normalized as (
    select
        unpivoted.user_id,
        unpivoted.feature,
        unpivoted.raw_value,
        current_weights.weight,
        current_weights.positive_weight_sum,
        {{ normalize_feature('unpivoted.raw_value', 'current_weights.transform', 'current_weights.cap') }}
            as normalized_value
    from unpivoted
    inner join current_weights
        on unpivoted.feature = current_weights.feature
),

-- points = 100 * weight * normalized / (sum of the set's positive weights), as in the scores
pointed as (
    select
        *,
        {{ feature_points('normalized_value', 'weight', 'positive_weight_sum') }} as points
    from normalized
),

final as (
    select
        user_id,
        feature,
        raw_value,
        normalized_value,
        points
    from pointed
)

select * from final
