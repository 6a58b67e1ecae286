-- one row per valid event: the session it belongs to (sessions split by inactivity gap); the
-- event's other attributes stay in stg_web__events, so the sorts and the stored table stay narrow
{{ incremental_by_user_config() }}
{#- a full build past var('rollup_pass_rows') events sessionizes slices of users in passes, so each
    pass's sort fits in memory (an incremental run redoes few users: one pass) -#}
{%- if not is_incremental() %}
{%- do plan_rollup_passes(ref('stg_web__events')) %}
{%- endif %}
with

staged as {{ inlined_cte() }} (
    select * from {{ ref('stg_web__events') }}
),

{%- if is_incremental() %}

-- the events base_web__events retyped since this model last ran (the whole days it reloaded),
-- filtered before the lookup below so that only they are looked up
retyped as (
    select
        event_id,
        user_id
    from staged
    where processed_at > {{ last_processed_at() }}
),

-- users with events not sessionized yet; all their events are sessionized again, so a late
-- event or a session spanning the load boundary ends up exactly as in a full refresh
changed_users as (
    select distinct retyped.user_id
    from retyped
    left join {{ this }} as sessionized
        on retyped.event_id = sessionized.event_id
    where sessionized.event_id is null
),

events as (
    select staged.*
    from staged
    inner join changed_users
        on staged.user_id = changed_users.user_id
),
{%- else %}

events as (
    select * from staged
),
{%- endif %}

-- this pass's users (all of them in one pass)
pass_events as (
    select * from events
    where {{ in_rollup_pass('user_id') }}
),

-- the same user's previous event; ties in time are ordered by event_id so reruns agree
with_previous as (
    select
        *,
        lag(event_at) over (
            partition by user_id order by event_at, event_id
        ) as previous_event_at,
        lag(tracker_session_id) over (
            partition by user_id order by event_at, event_id
        ) as previous_tracker_session_id,
        row_number() over (
            partition by user_id order by event_at, event_id
        ) as user_event_number
    from pass_events
),

-- a new session: the user's first event, a gap strictly longer than the cutoff
-- (exactly the cutoff stays in the session), or a new tracker session id
flagged as (
    select
        *,
        case
            when previous_event_at is null then 1
            when event_at > {{ dbt.dateadd(
                'minute', var('session_inactivity_minutes'), 'previous_event_at'
            ) }} then 1
            {%- if var('split_on_tracker_session') %}
            when tracker_session_id <> previous_tracker_session_id then 1
            {%- endif %}
            else 0
        end as is_new_session
    from with_previous
),

-- running count of session starts = the session number, from 1 per user
numbered as (
    select
        *,
        -- a bigint (DuckDB's running sum of integers is 128-bit)
        cast(sum(is_new_session) over (
            partition by user_id order by event_at, event_id
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as session_number,
        -- the latest session start so far is this event's session start
        max(case when is_new_session = 1 then event_at end) over (
            partition by user_id order by event_at, event_id
            rows between unbounded preceding and current row
        ) as session_started_at,
        -- the user's event number at this session's start, for the position in the session
        -- without another sort by session
        max(case when is_new_session = 1 then user_event_number end) over (
            partition by user_id order by event_at, event_id
            rows between unbounded preceding and current row
        ) as session_first_event_number
    from flagged
),

-- a session key stable across rebuilds: user id and session number
sessionized as (
    select
        event_id,
        {{ dbt.concat([
            "user_id", "'-'", "cast(session_number as " ~ dbt.type_string() ~ ")"
        ]) }} as session_key,
        user_id,
        session_number,
        user_event_number - session_first_event_number + 1 as event_number_in_session,
        {{ seconds_between('previous_event_at', 'event_at') }} as seconds_since_previous_event,
        is_new_session = 1 as is_session_start,
        session_started_at,
        event_at,
        {{ processed_at() }} as processed_at
    from numbered
),

final as (
    select * from sessionized
)

select * from final
