-- one row per session: counts, sums and flags rolled up from its events (the sessions mart's source)
with

events as (
    select * from {{ ref('int_events_sessionized') }}
),

-- count each kind of event once per session; keep sums and counts so sessions add up exactly
rolled_up as (
    select
        session_key,
        {{ session_rollup_columns() }}
    from events
    group by 1
),

-- bounce / spam / repeat flags from the thresholds in dbt_project.yml
final as (
    select
        *,
        {{ session_flag_columns() }}
    from rolled_up
)

select * from final
