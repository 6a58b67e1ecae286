-- one row per quarantined raw event row, with the reason it was kept out of staging
with

events as (
    select * from {{ ref('base_web__events') }}
),

-- first copies that failed a check; later copies of an event_id are plain duplicates
rejected as (
    select * from events
    where copy_number = 1 and rejection_reason is not null
),

final as (
    select
        raw_row_key as rejected_row_key,
        event_id,
        user_id,
        tracker_session_id,
        event_type,
        rejection_reason,
        event_at,
        loaded_at
    from rejected
)

select * from final
