-- one row per raw event row: typed, with its copy number and the reason it is rejected (if any)
{#- Incremental on DuckDB: each run retypes the raw rows of the last var('late_event_days')
    days before the newest event already here (and rows without an event time), and
    replaces those days whole, so late and re-sent rows land as in a full refresh. -#}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='delete+insert',
    unique_key='event_day',
    on_schema_change='fail',
) }}
with

-- (on a full build the raw rows are read again by each CTE that uses them, never held in
-- memory: see inlined_cte)
raw_events as {{ inlined_cte() }} (
    select * from {{ source('web', 'events') }}
),

-- the users source, read for its ids only (known_users below)
raw_users as (
    select * from {{ source('web', 'users') }}
),

{%- if is_incremental() %}

-- the first day retyped: late_event_days before the newest valid event already typed
-- (a clock-skewed row from the future must not move the window)
reprocessed_from as (
    select {{ dbt.dateadd('day', -1 * var('late_event_days'), dbt.date_trunc('day', 'max(event_at)')) }} as event_day
    from {{ this }}
    where rejection_reason is null
),

-- the window's raw rows (a few days) are kept once: `typed` is read three times below, and each
-- read of raw_events would scan and filter the whole history again
events as {{ materialized_cte() }} (
    select raw_events.*
    from raw_events
    where
        {{ dbt.safe_cast('raw_events.event_at', dbt.type_timestamp()) }}
        >= (select reprocessed_from.event_day from reprocessed_from)
        or {{ dbt.safe_cast('raw_events.event_at', dbt.type_timestamp()) }} is null
),
{%- else %}

events as {{ inlined_cte() }} (
    select * from raw_events
),
{%- endif %}

-- user ids that exist, to quarantine events of unknown users
known_users as (
    select distinct user_id from raw_users
),

-- type every column; a value that does not cast becomes null and is flagged below
typed as {{ inlined_cte() }} (
    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(session_id as {{ dbt.type_string() }}) as tracker_session_id,
        lower(trim(cast(event_type as {{ dbt.type_string() }}))) as event_type,
        cast(page_path as {{ dbt.type_string() }}) as page_path,
        cast(referrer as {{ dbt.type_string() }}) as referrer,
        cast(utm_source as {{ dbt.type_string() }}) as utm_source,
        lower(cast(device as {{ dbt.type_string() }})) as device,
        {{ dbt.safe_cast('time_on_page_sec', type_double()) }} as time_on_page_sec,
        {{ dbt.safe_cast('scroll_depth_pct', type_double()) }} as scroll_depth_pct,
        {{ dbt.safe_cast('event_at', dbt.type_timestamp()) }} as event_at,
        {{ dbt.safe_cast('loaded_at', dbt.type_timestamp()) }} as loaded_at,
        event_at is not null
        and {{ dbt.safe_cast('event_at', dbt.type_timestamp()) }} is null as is_event_at_unparseable,
        (
            time_on_page_sec is not null
            and {{ dbt.safe_cast('time_on_page_sec', type_double()) }} is null
        )
        or (
            scroll_depth_pct is not null
            and {{ dbt.safe_cast('scroll_depth_pct', type_double()) }} is null)
            as is_number_unparseable
    from events
),

-- event ids sent more than once, by key_hash (an id sharing a hash with another is ordered below
-- for nothing: copies are numbered per id)
repeated_ids as (
    select {{ key_hash('event_id') }} as event_id_hash
    from typed
    where event_id is not null
    group by 1
    having count(*) > 1
),

-- a re-sent event keeps its first-loaded copy; later copies get copy_number > 1
-- (most ids arrive once and skip the sort)
numbered as (
    select
        typed.*,
        1 as copy_number
    from typed
    left join repeated_ids
        on {{ key_hash('typed.event_id') }} = repeated_ids.event_id_hash
    where repeated_ids.event_id_hash is null or typed.event_id is null
    union all
    select
        typed.*,
        row_number() over (
            partition by typed.event_id
            order by
                typed.loaded_at asc nulls last, typed.event_at asc nulls last, typed.user_id asc nulls last,
                typed.tracker_session_id asc nulls last, typed.event_type asc nulls last,
                typed.page_path asc nulls last
        ) as copy_number
    from typed
    inner join repeated_ids
        on {{ key_hash('typed.event_id') }} = repeated_ids.event_id_hash
    where typed.event_id is not null
),

-- the first reason that applies, in order of how basic the problem is
checked as (
    select
        numbered.*,
        case
            when numbered.event_id is null then 'null event_id'
            when numbered.is_event_at_unparseable then 'unparseable event_at'
            when numbered.is_number_unparseable then 'unparseable number'
            when numbered.event_at is null then 'null event_at'
            when numbered.user_id is null then 'null user_id'
            when numbered.event_type not in (
                {%- for event_type in var('event_types') %}
                '{{ event_type }}'{{ "," if not loop.last }}
                {%- endfor %}
            ) or numbered.event_type is null then 'unknown event_type'
            when numbered.event_at > {{ dbt.dateadd(
                'second', var('max_clock_skew_seconds'), 'numbered.loaded_at'
            ) }} then 'event_at after loaded_at'
            when known_users.user_id is null then 'unknown user'
        end as rejection_reason
    from numbered
    left join known_users
        on numbered.user_id = known_users.user_id
),

-- a key for every raw row: event id and copy number, or for the rare rows without an
-- event id, everything that tells them apart
final as (
    select
        case
            when event_id is not null
                then {{ dbt.concat(["event_id", "'|'", "cast(copy_number as " ~ dbt.type_string() ~ ")"]) }}
            else {{ dbt.concat([
                "'<null>|'",
                "coalesce(user_id, '<null>')",
                "'|'",
                "coalesce(cast(event_at as " ~ dbt.type_string() ~ "), '<null>')",
                "'|'",
                "coalesce(cast(loaded_at as " ~ dbt.type_string() ~ "), '<null>')",
                "'|'",
                "coalesce(event_type, '<null>')",
                "'|'",
                "coalesce(page_path, '<null>')",
            ]) }}
        end as raw_row_key,
        event_id,
        user_id,
        tracker_session_id,
        event_type,
        page_path,
        referrer,
        utm_source,
        device,
        rejection_reason,
        time_on_page_sec,
        scroll_depth_pct,
        copy_number,
        event_at,
        loaded_at,
        -- the partition an incremental run replaces whole (rows without an event time: their own)
        coalesce(
            {{ dbt.date_trunc('day', 'event_at') }}, cast('1900-01-01' as {{ dbt.type_timestamp() }})
        ) as event_day,
        {{ processed_at() }} as processed_at
    from checked
)

select * from final
