-- one row per (user, day the user started a session on): that day's sessions rolled up, for
-- features that count days (cheaper than going back to the sessions for each cutoff)
{{ incremental_by_user_config() }}
with

all_sessions as (
    select * from {{ ref('sessions') }}
),

-- on an incremental run, only the users whose sessions were rolled up again (all their sessions
-- carry that run's processed_at, so their days are recounted whole)
sessions as (
    select * from all_sessions{{ where_processed_since_last_run() }}
),

-- each session on the day (UTC) it started
dated as (
    select
        user_id,
        {{ dbt.date_trunc('day', 'started_at') }} as activity_day,
        is_spam,
        event_count,
        high_intent_events,
        ended_at
    from sessions
),

-- per user and day: sessions and events, all and from sessions that do not look like bots, and
-- when the day's first such session was over (a cutoff at or after it counts the day as active)
days as (
    select
        user_id,
        activity_day,
        count(*) as sessions,
        count(case when not is_spam then 1 end) as human_sessions,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as events,
        cast(coalesce(sum(case when not is_spam then event_count end), 0) as {{ dbt.type_bigint() }})
            as human_events,
        cast(coalesce(sum(case when not is_spam then high_intent_events end), 0) as {{ dbt.type_bigint() }})
            as human_high_intent_events,
        min(case when not is_spam then ended_at end) as first_human_session_ended_at,
        -- this run's time: a full refresh of this model alone stamps every row anew
        {{ processed_at() }} as processed_at
    from dated
    group by 1, 2
),

final as (
    select
        {{ dbt.concat([
            "user_id", "'|'", "cast(cast(activity_day as date) as " ~ dbt.type_string() ~ ")"
        ]) }} as user_day_key,
        *
    from days
)

select * from final
