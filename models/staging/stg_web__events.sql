-- one row per valid event: the first-loaded copy of each event_id that passed every check
-- (a view, as staging is: base_web__events types and dedups incrementally; a table here would
-- copy every valid event once more on each full build)
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
        event_type in (
            {%- for event_type in high_intent_event_types() %}
            '{{ event_type }}'{{ "," if not loop.last }}
            {%- endfor %}
        ) as is_high_intent,
        event_type in ('page_view', 'pricing_page_view') as is_page_view,
        event_at,
        loaded_at,
        processed_at
    from valid
)

select * from final
