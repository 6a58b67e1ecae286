-- one row per raw event row: typed, with its copy number and the reason it is rejected (if any)
with

events as (
    select * from {{ source('web', 'events') }}
),

-- user ids that exist, to quarantine events of unknown users
known_users as (
    select distinct user_id from {{ source('web', 'users') }}
),

-- type every column; a value that does not cast becomes null and is flagged below
typed as (
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

-- a re-sent event keeps its first-loaded copy; later copies get copy_number > 1
numbered as (
    select
        *,
        case
            when event_id is null then 1
            else row_number() over (
                partition by event_id
                order by
                    loaded_at asc nulls last, event_at asc nulls last, user_id asc nulls last,
                    tracker_session_id asc nulls last, event_type asc nulls last, page_path asc nulls last
            )
        end as copy_number
    from typed
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

-- a key for every raw row, even those without an event_id
final as (
    select
        {{ dbt.concat([
            "coalesce(event_id, '<null>')",
            "'|'",
            "cast(copy_number as " ~ dbt.type_string() ~ ")",
            "'|'",
            "coalesce(user_id, '<null>')",
            "'|'",
            "coalesce(cast(event_at as " ~ dbt.type_string() ~ "), '<null>')",
            "'|'",
            "coalesce(cast(loaded_at as " ~ dbt.type_string() ~ "), '<null>')",
        ]) }} as raw_row_key,
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
        loaded_at
    from checked
)

select * from final
