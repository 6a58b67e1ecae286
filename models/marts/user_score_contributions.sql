-- one row per (user, feature) at as_of under var('weight_set'): how many score points one feature gives one user
-- (a view, computed when read; primary key: user_id and feature, tested together)
-- depends_on: {{ ref('int_weights_validated') }}
{%- set features = seed_features(var('weight_set')) %}
with

-- read again by each branch of the unpivot: DuckDB keeps a CTE read 17 times (materializes it),
-- and above a kept CTE it no longer drops the view's unused columns, so a reader of two columns
-- (the key tests) paid for every reason phrase (unique test at 10M events: 1.5 -> 0.6 s)
features as {{ inlined_cte() }} (
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

weighted as (
    select
        current_weights.weight_set,
        unpivoted.user_id,
        unpivoted.feature,
        current_weights.dimension,
        current_weights.transform,
        current_weights.reason,
        unpivoted.raw_value,
        current_weights.weight,
        current_weights.cap,
        current_weights.positive_weight_sum
    from unpivoted
    inner join current_weights
        on unpivoted.feature = current_weights.feature
),

-- normalize with the seed's transform and cap only (no batch statistics)
normalized as (
    select
        *,
        {{ normalize_feature('raw_value', 'transform', 'cap') }} as normalized_value
    from weighted
),

-- points = 100 * weight * normalized / (sum of the set's positive weights), as in the scores
pointed as (
    select
        *,
        {{ feature_points('normalized_value', 'weight', 'positive_weight_sum') }} as points
    from normalized
),

-- the seed's reason phrase with {value} / {pct} filled in, for explanations
explained as (
    select
        *,
        {{ fill_reason('reason', 'raw_value') }} as reason_text
    from pointed
),

final as (
    select
        weight_set,
        user_id,
        feature,
        dimension,
        transform,
        reason_text,
        raw_value,
        normalized_value,
        weight,
        cap,
        points
    from explained
)

select * from final
