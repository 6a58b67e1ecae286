-- one row per session: what happened in it and whether it looks like a bounce, a bot or a return
with

events as (
    select * from {{ ref('int_events_sessionized') }}
),

-- count each kind of event once per session
rolled_up as (
    select
        session_key,
        {{ session_rollup_columns() }}
    from events
    group by 1
),

-- bounce / spam / repeat flags from the thresholds in dbt_project.yml
flagged as (
    select
        *,
        {{ session_flag_columns() }}
    from rolled_up
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
        started_at,
        ended_at
    from flagged
)

select * from final
