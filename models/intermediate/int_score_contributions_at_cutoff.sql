-- one row per (weight_set, user, cutoff, feature): how many score points one feature gives one user at that cutoff
with

features as (
    select * from {{ ref('int_user_features_unpivoted') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

-- every weight set applies to every user
weighted as (
    select
        weights.weight_set,
        features.user_id,
        features.offset_days,
        features.feature,
        weights.dimension,
        weights.transform,
        weights.reason,
        features.raw_value,
        weights.weight,
        weights.cap,
        weights.positive_weight_sum
    from features
    inner join weights
        on features.feature = weights.feature
    -- every set scores today; past cutoffs (for the backtest) only need the set in effect
    where features.offset_days = 0 or weights.weight_set = '{{ var("weight_set") }}'
),

-- normalize with the seed's transform and cap only (no batch statistics)
normalized as (
    select
        *,
        {{ normalize_feature('raw_value', 'transform', 'cap') }} as normalized_value
    from weighted
),

-- points = 100 * weight * normalized / (sum of the set's positive weights)
pointed as (
    select
        *,
        100.0 * weight * normalized_value / positive_weight_sum as points
    from normalized
),

final as (
    select
        {{ dbt.concat([
            "weight_set", "'|'", "user_id", "'|'", "cast(offset_days as " ~ dbt.type_string() ~ ")", "'|'", "feature"
        ]) }} as cutoff_contribution_key,
        weight_set,
        user_id,
        feature,
        dimension,
        transform,
        reason,
        raw_value,
        normalized_value,
        weight,
        cap,
        points,
        offset_days
    from pointed
)

select * from final
