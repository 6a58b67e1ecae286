-- one row per user as of var('as_of'): the slice of the point-in-time features at the current cutoff
with

features as (
    select * from {{ ref('int_user_features_at_cutoff') }}
),

-- the current cutoff (offset 0); the earlier ones serve backtests and training
current_cutoff as (
    select * from features
    where offset_days = 0
),

final as (
    select * from current_cutoff
)

select * from final
