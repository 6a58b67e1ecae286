-- one row per user as of var('as_of'): behaviour features from events at or before it only,
-- and the profile snapshot
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

-- the current cutoff (offset 0); the earlier ones are computed for the ML path only
current_cutoff as (
    select * from cutoffs
    where is_current
),

-- the same feature SQL as int_user_features_at_past_cutoffs (macros/user_features_at_cutoffs.sql)
{{ user_features_at_cutoffs_ctes(
    'users', 'current_cutoff', 'sessions', 'spanning', 'user_days', several_cutoffs=false
) }},

final as (
    select * from joined
)

select * from final
