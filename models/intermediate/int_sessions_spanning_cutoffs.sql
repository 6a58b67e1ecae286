-- one row per (cutoff, session running across it): the session rolled up again from its events up to the cutoff
with

sessions as (
    select * from {{ ref('sessions') }}
),

sessionized as (
    select * from {{ ref('int_events_sessionized') }}
),

staged as (
    select * from {{ ref('stg_web__events') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

-- the few sessions that started by a cutoff but ended after it (a handful per cutoff)
spanning_sessions as (
    select
        cutoffs.as_of,
        sessions.session_key,
        sessions.user_id
    from sessions
    inner join cutoffs
        on
            sessions.started_at <= cutoffs.as_of
            and sessions.ended_at > cutoffs.as_of
),

-- their events up to the cutoff (the small side drives the joins), with each event's type,
-- page and measures
spanning_events as (
    select
        spanning_sessions.as_of,
        sessionized.*,
        {{ event_attribute_columns('staged') }}
    from spanning_sessions
    inner join sessionized
        on
            spanning_sessions.user_id = sessionized.user_id
            and spanning_sessions.session_key = sessionized.session_key
            and spanning_sessions.as_of >= sessionized.event_at
    inner join staged
        on sessionized.event_id = staged.event_id
),

rolled_up as (
    select
        as_of,
        session_key,
        {{ session_rollup_columns() }}
    from spanning_events
    group by 1, 2
),

{{ session_page_counts_ctes('spanning_events', 'rolled_up', ['as_of', 'session_key']) }},

flagged as (
    select
        *,
        {{ session_flag_columns() }}
    from counted
),

final as (
    select
        {{ dbt.concat(["cast(as_of as " ~ dbt.type_string() ~ ")", "'|'", "session_key"]) }} as cutoff_session_key,
        *
    from flagged
)

select * from final
