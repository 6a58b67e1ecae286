-- one row per (user, feature) at as_of under var('weight_set'): how many score points one feature
-- gives one user, beside the seed row that gave them (a view: the per-user numbers are stored once,
-- in int_user_feature_points, and the seed's columns, the same for every user, are joined on read)
with

points as (
    select * from {{ ref('int_user_feature_points') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

-- the weight set in effect
current_weights as (
    select * from weights
    where weight_set = '{{ var("weight_set") }}'
),

-- each user's points beside the seed row of their feature
seeded as (
    select
        current_weights.weight_set,
        points.user_id,
        points.feature,
        current_weights.dimension,
        current_weights.transform,
        current_weights.reason,
        points.raw_value,
        points.normalized_value,
        current_weights.weight,
        current_weights.cap,
        points.points
    from points
    inner join current_weights
        on points.feature = current_weights.feature
),

-- the seed's reason phrase with {value} / {pct} filled in, for explanations
explained as (
    select
        *,
        {{ fill_reason('reason', 'raw_value') }} as reason_text
    from seeded
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
