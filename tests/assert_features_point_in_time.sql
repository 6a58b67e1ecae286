-- No feature row uses an event after its as_of: no session re-rolled at a cutoff ends
-- after it, and signups match an independent recount of the staged
-- events up to the cutoff. Returns offending rows.
with

features as (
    select * from {{ ref('int_user_features_at_cutoff') }}
),

spanning as (
    select * from {{ ref('int_sessions_spanning_cutoffs') }}
),

staged as (
    select * from {{ ref('stg_web__events') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

-- signups recounted from the staged events alone, up to each as_of (independent of sessions)
recount as (
    select
        cutoffs.as_of,
        staged.user_id,
        count(*) as signups
    from staged
    inner join cutoffs
        on staged.event_at <= cutoffs.as_of
    where staged.event_type = 'signup'
    group by 1, 2
),

late_features as (
    select
        user_cutoff_key as offending_key,
        'feature row uses an event after as_of' as problem
    from features
    where last_event_at > as_of or first_event_at > as_of
),

late_sessions as (
    select
        cutoff_session_key as offending_key,
        'session rolled up at a cutoff ends after it' as problem
    from spanning
    where ended_at > as_of
),

miscounted as (
    select
        features.user_cutoff_key as offending_key,
        'signups differ from a recount of staged events up to as_of' as problem
    from features
    left join recount
        on features.user_id = recount.user_id and features.as_of = recount.as_of
    where
        -- bot sessions are left out of features, so never more than the recount,
        -- and exactly the recount for users with no bot session by then
        features.signups > coalesce(recount.signups, 0)
        or (features.spam_sessions = 0 and features.signups <> coalesce(recount.signups, 0))
),

final as (
    select * from late_features
    union all
    select * from late_sessions
    union all
    select * from miscounted
)

select * from final
