-- No feature row uses an event after its as_of: every session and event behind a
-- (user, cutoff) row happened at or before that cutoff, and the counts match a
-- recount of only the events up to the cutoff. Returns offending rows.
with

features as (
    select * from {{ ref('int_user_features_at_cutoff') }}
),

sessions_at_cutoff as (
    select * from {{ ref('int_sessions_at_cutoff') }}
),

events as (
    select * from {{ ref('int_events_sessionized') }}
),

-- signups recounted from scratch: human sessions, events at or before each as_of
recount as (
    select
        sessions_at_cutoff.as_of,
        events.user_id,
        sum(case when events.event_type = 'signup' then 1 else 0 end) as signups
    from events
    inner join sessions_at_cutoff
        on
            events.session_key = sessions_at_cutoff.session_key
            and events.event_at <= sessions_at_cutoff.as_of
    where not sessions_at_cutoff.is_spam
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
        'session at cutoff ends after as_of' as problem
    from sessions_at_cutoff
    where ended_at > as_of
),

miscounted as (
    select
        features.user_cutoff_key as offending_key,
        'signups differ from a recount up to as_of' as problem
    from features
    left join recount
        on features.user_id = recount.user_id and features.as_of = recount.as_of
    where features.signups <> coalesce(recount.signups, 0)
),

final as (
    select * from late_features
    union all
    select * from late_sessions
    union all
    select * from miscounted
)

select * from final
