-- one row per session: what happened in it and whether it looks like a bounce, a bot or a return visit
{{ incremental_by_user_config() }}
with

rolled_up as (
    select * from {{ ref('int_sessions_rolled_up') }}
),

-- on an incremental run, only users whose sessions were rolled up again
sessions as (
    select * from rolled_up{{ where_processed_since_last_run() }}
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
        ended_at,
        processed_at
    from sessions
)

select * from final
