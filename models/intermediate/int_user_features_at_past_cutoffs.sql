-- one row per (user, past cutoff): the features of user_features as they were at each earlier cutoff,
-- from events at or before it only; for training the model and backtesting the rule scores
with

users as (
    select * from {{ ref('stg_web__users') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

sessions as (
    select * from {{ ref('sessions') }}
),

spanning as (
    select * from {{ ref('int_sessions_spanning_cutoffs') }}
),

user_days as (
    select * from {{ ref('int_user_days_rolled_up') }}
),

-- the cutoffs before the current one
past_cutoffs as (
    select * from cutoffs
    where not is_current
),

-- the same feature SQL as user_features (macros/user_features_at_cutoffs.sql)
{{ user_features_at_cutoffs_ctes('users', 'past_cutoffs', 'sessions', 'spanning', 'user_days', several_cutoffs=true) }},

final as (
    select * from joined
)

select * from final
