-- one row per session: counts, sums and flags rolled up from its events (the sessions mart's source)
{{ incremental_by_user_config() }}
with

sessionized as (
    select * from {{ ref('int_events_sessionized') }}
),

-- on an incremental run, only users sessionized again since this model last ran
events as (
    select * from sessionized
    {%- if is_incremental() %}
    where user_id in (
        select user_id from sessionized
        where processed_at > {{ last_processed_at() }}
    )
    {%- endif %}
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
