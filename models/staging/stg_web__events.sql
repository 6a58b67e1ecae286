-- one row per valid event: the first-loaded copy of each event_id that passed every check
with

events as (
    select * from {{ ref('base_web__events') }}
),

-- keep first copies that were not quarantined
valid as (
    select * from events
    where copy_number = 1 and rejection_reason is null
),

final as (
    select
        event_id,
        user_id,
        tracker_session_id,
        event_type,
        page_path,
        referrer,
        utm_source,
        device,
        time_on_page_sec,
        scroll_depth_pct,
        event_type in ('signup', 'calendar_booking', 'demo_request_click', 'pricing_page_view')
            as is_high_intent,
        event_type in ('page_view', 'pricing_page_view') as is_page_view,
        event_at,
        loaded_at
    from valid
)

select * from final
