-- Nothing is lost silently: raw rows = valid events + quarantined rows + re-sent duplicate copies.
-- Returns one row (a failure) when the counts do not add up. After an incremental run this
-- also catches raw rows that arrived more than var('late_event_days') days behind the newest
-- typed event (an incremental run does not look that far back): `dbt build --full-refresh`.
with

raw_events as (
    select count(*) as raw_rows from {{ source('web', 'events') }}
),

valid as (
    select count(*) as valid_rows from {{ ref('stg_web__events') }}
),

rejected as (
    select count(*) as rejected_rows from {{ ref('events_rejected') }}
),

duplicates as (
    select count(*) as duplicate_rows from {{ ref('base_web__events') }}
    where copy_number > 1
),

final as (
    select
        raw_events.raw_rows,
        valid.valid_rows,
        rejected.rejected_rows,
        duplicates.duplicate_rows
    from raw_events
    cross join valid
    cross join rejected
    cross join duplicates
)

select * from final
where raw_rows <> valid_rows + rejected_rows + duplicate_rows
