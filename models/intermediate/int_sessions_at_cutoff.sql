-- one row per (cutoff, session): each session as it looked at that cutoff, from events at or before it
with

sessions as (
    select * from {{ ref('int_sessions_rolled_up') }}
),

events as (
    select * from {{ ref('int_events_sessionized') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

-- sessions over by the cutoff look at it exactly as they do today
completed as (
    select
        cutoffs.as_of,
        sessions.*
    from sessions
    inner join cutoffs
        on sessions.ended_at <= cutoffs.as_of
),

-- the few sessions running across a cutoff are rolled up again from their events up to it
spanning_events as (
    select
        cutoffs.as_of,
        events.*
    from events
    inner join sessions
        on events.session_key = sessions.session_key
    inner join cutoffs
        on
            sessions.started_at <= cutoffs.as_of
            and sessions.ended_at > cutoffs.as_of
            and events.event_at <= cutoffs.as_of
),

spanning_rolled_up as (
    select
        as_of,
        session_key,
        {{ session_rollup_columns() }}
    from spanning_events
    group by 1, 2
),

spanning as (
    select
        *,
        {{ session_flag_columns() }}
    from spanning_rolled_up
),

unioned as (
    select * from completed
    union all
    select * from spanning
),

final as (
    select
        {{ dbt.concat(["cast(as_of as " ~ dbt.type_string() ~ ")", "'|'", "session_key"]) }} as cutoff_session_key,
        *
    from unioned
)

select * from final
