-- one row per (cutoff, session): each session as it looked at that cutoff, from events at or before it
with

events as (
    select * from {{ ref('int_events_sessionized') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

-- only events that had happened by the cutoff: the point-in-time guarantee
events_by_cutoff as (
    select
        cutoffs.as_of,
        events.*
    from events
    inner join cutoffs
        on events.event_at <= cutoffs.as_of
),

-- the same roll-up as the sessions mart, per cutoff
rolled_up as (
    select
        as_of,
        session_key,
        {{ session_rollup_columns() }}
    from events_by_cutoff
    group by 1, 2
),

flagged as (
    select
        *,
        {{ session_flag_columns() }}
    from rolled_up
),

final as (
    select
        {{ dbt.concat(["cast(as_of as " ~ dbt.type_string() ~ ")", "'|'", "session_key"]) }} as cutoff_session_key,
        *
    from flagged
)

select * from final
