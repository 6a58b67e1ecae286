-- one row per valid event: the first-loaded copy of each event_id that passed every check
{{ incremental_by_user_config(unique_key='event_id') }}
with

events as (
    select * from {{ ref('base_web__events') }}
),

-- keep first copies that were not quarantined (on an incremental run: only rows base_web__events
-- retyped since this model last ran, and of those only events not staged yet)
valid as (
    select events.* from events
    {%- if is_incremental() %}
    left join {{ this }} as staged
        on events.event_id = staged.event_id
    {%- endif %}
    where
        events.copy_number = 1
        and events.rejection_reason is null
        and {{ 'events.processed_at > ' ~ last_processed_at() if is_incremental() else 'true' }}
        and {{ 'staged.event_id is null' if is_incremental() else 'true' }}
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
        {{ processed_at() }} as processed_at
    from valid
)

select * from final
