-- one row per session: counts, sums and flags rolled up from its events (the sessions mart's source)
{{ incremental_by_user_config() }}
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

-- each event's type, page and measures beside its session
events as (
    select
        rolled_events.*,
        {{ event_attribute_columns('staged') }}
    from rolled_events
    inner join staged
        on rolled_events.event_id = staged.event_id
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
final as (
    select
        *,
        {{ session_flag_columns() }}
    from counted
)

select * from final
