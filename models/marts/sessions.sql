-- one row per session: what happened in it and whether it looks like a bounce, a bot or a return visit;
-- also the sums and counts that add up exactly across sessions, which point-in-time features build on
{{ incremental_by_user_config() }}
{#- past var('rollup_pass_rows') events to roll up, built in passes over slices of users (on an
    incremental run, of the users sessionized again since the last run) -#}
{%- do plan_rollup_passes(
    ref('int_events_sessionized'),
    where='processed_at > ' ~ last_processed_at() if is_incremental() else none,
) %}
with

sessionized as (
    select * from {{ ref('int_events_sessionized') }}
),

staged as (
    select * from {{ ref('stg_web__events') }}
),

-- on an incremental run, only the events of users sessionized again since this model last ran
-- (int_events_sessionized rewrites every event of such a user, all with that run's processed_at)
rolled_events as (
    select * from sessionized{{ where_processed_since_last_run() }}
),

-- each event's type, page and measures beside its session, for this pass's users (all of them
-- in one pass); kept (materialized), as the roll-up and the page counts both read it
events as {{ materialized_cte() }} (
    select
        rolled_events.session_key,
        rolled_events.user_id,
        rolled_events.session_number,
        rolled_events.event_number_in_session,
        rolled_events.session_started_at,
        rolled_events.event_at,
        rolled_events.processed_at,
        {{ event_attribute_columns('staged') }}
    from rolled_events
    inner join staged
        on rolled_events.event_id = staged.event_id
    -- both sides sliced by the same user: an event's user is the same in both tables
    -- (int_events_sessionized copies it from stg_web__events, whose event_id is unique)
    where
        {{ in_rollup_pass('rolled_events.user_id') }}
        and {{ in_rollup_pass('staged.user_id') }}
),

-- count each kind of event once per session; keep sums and counts so sessions add up exactly
rolled_up as (
    select
        session_key,
        {{ session_rollup_columns() }}
    from events
    group by 1
),

{{ session_page_counts_ctes('events', 'rolled_up', ['session_key']) }},

-- bounce / spam / repeat flags from the thresholds in dbt_project.yml
flagged as (
    select
        *,
        {{ session_flag_columns() }}
    from counted
),

final as (
    select
        session_key,
        user_id,
        entry_page_path,
        device,
        referrer,
        utm_source,
        session_number,
        duration_sec,
        event_count,
        {%- for event_type in var('event_types') %}
        {{ event_count_column(event_type) }},
        {%- endfor %}
        viewed_pages,
        distinct_pages,
        high_intent_events,
        total_time_on_page_sec,
        zero_time_events,
        avg_time_on_page_sec,
        avg_scroll_depth_pct,
        events_per_minute,
        is_bounce,
        is_spam,
        is_repeat,
        -- sums and counts that add up exactly over several sessions (features' means and decay)
        timed_events,
        total_scroll_depth_pct,
        scrolled_events,
        {%- for event_type in high_intent_event_types() %}
        {{ event_count_column(event_type) }}_decay_weight,
        {%- endfor %}
        high_intent_decay_weight,
        started_at,
        ended_at,
        -- this run's time, not the events': a full refresh of sessions alone stamps every row anew
        {{ processed_at() }} as processed_at
    from flagged
)

select * from final
