-- one row per (user, cutoff): behaviour features computed only from events at or before the cutoff
{%- set half_life = var('decay_half_life_days') %}
{%- set decayed_types = ['signup', 'calendar_booking', 'demo_request_click', 'pricing_page_view'] %}
with

users as (
    select * from {{ ref('stg_web__users') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

events as (
    select * from {{ ref('int_events_sessionized') }}
),

sessions as (
    select * from {{ ref('int_sessions_at_cutoff') }}
),

-- every user that existed by each cutoff, with or without events
users_by_cutoff as (
    select
        users.*,
        cutoffs.offset_days,
        cutoffs.as_of
    from users
    cross join cutoffs
    where users.created_at is null or users.created_at <= cutoffs.as_of
),

-- events by each cutoff from sessions that do not look like bots: spam never counts as engagement
human_events as (
    select
        sessions.as_of,
        events.user_id,
        events.event_type,
        events.is_high_intent,
        events.is_page_view,
        events.time_on_page_sec,
        events.scroll_depth_pct,
        events.event_at,
        {{ seconds_between('events.event_at', 'sessions.as_of') }} / 86400.0 as age_days
    from events
    inner join sessions
        on
            events.session_key = sessions.session_key
            and events.event_at <= sessions.as_of
    where not sessions.is_spam
),

-- funnel counts, engagement and time-decayed intent per user and cutoff
event_features as (
    select
        as_of,
        user_id,
        {%- for event_type in var('event_types') if event_type != 'page_view' %}
        sum(case when event_type = '{{ event_type }}' then 1 else 0 end) as {{ event_count_column(event_type) }},
        {%- endfor %}
        sum(case when is_page_view then 1 else 0 end) as page_views,
        count(distinct {{ dbt.date_trunc('day', 'event_at') }}) as active_days,
        avg(time_on_page_sec) as avg_time_on_page_sec,
        avg(scroll_depth_pct) as avg_scroll_depth_pct,
        -- each event counts exp(-ln2 * age / half-life): 1 today, 0.5 one half-life ago
        {%- for event_type in decayed_types %}
        sum(
            case
                when event_type = '{{ event_type }}'
                    then exp(-0.6931471805599453 * age_days / {{ half_life }})
                else 0
            end
        ) as decayed_{{ event_count_column(event_type) }},
        {%- endfor %}
        sum(
            case when is_high_intent then exp(-0.6931471805599453 * age_days / {{ half_life }}) else 0 end
        ) as decayed_high_intent_events,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from human_events
    group by 1, 2
),

-- session counts and the shares of bounced, repeat and bot sessions
session_features as (
    select
        as_of,
        user_id,
        count(*) as total_sessions,
        sum(case when is_spam then 1 else 0 end) as spam_sessions,
        sum(case when not is_spam then 1 else 0 end) as sessions,
        sum(case when not is_spam and is_bounce then 1 else 0 end) as bounced_sessions,
        sum(case when not is_spam and is_repeat then 1 else 0 end) as repeat_sessions
    from sessions
    group by 1, 2
),

joined as (
    select
        users_by_cutoff.user_id,
        users_by_cutoff.country,
        users_by_cutoff.city,
        users_by_cutoff.primary_device,
        users_by_cutoff.offset_days,
        {%- for event_type in var('event_types') if event_type != 'page_view' %}
        coalesce(event_features.{{ event_count_column(event_type) }}, 0) as {{ event_count_column(event_type) }},
        {%- endfor %}
        coalesce(event_features.page_views, 0) as page_views,
        coalesce(session_features.sessions, 0) as sessions,
        coalesce(session_features.total_sessions, 0) as total_sessions,
        coalesce(session_features.spam_sessions, 0) as spam_sessions,
        coalesce(session_features.bounced_sessions, 0) as bounced_sessions,
        coalesce(event_features.active_days, 0) as active_days,
        case
            when coalesce(session_features.sessions, 0) = 0 then 0
            else session_features.repeat_sessions * 1.0 / session_features.sessions
        end as repeat_session_rate,
        case
            when coalesce(session_features.sessions, 0) = 0 then 0
            else coalesce(event_features.page_views, 0) * 1.0 / session_features.sessions
        end as pages_per_session,
        event_features.avg_time_on_page_sec,
        event_features.avg_scroll_depth_pct,
        {{ seconds_between('event_features.last_event_at', 'users_by_cutoff.as_of') }} / 86400.0
            as days_since_last_event,
        {{ seconds_between('event_features.first_event_at', 'users_by_cutoff.as_of') }} / 86400.0
            as days_since_first_event,
        {%- for event_type in decayed_types %}
        coalesce(event_features.decayed_{{ event_count_column(event_type) }}, 0)
            as decayed_{{ event_count_column(event_type) }},
        {%- endfor %}
        coalesce(event_features.decayed_high_intent_events, 0) as decayed_high_intent_events,
        case
            when coalesce(session_features.sessions, 0) = 0 then 0
            else session_features.bounced_sessions * 1.0 / session_features.sessions
        end as bounce_rate,
        case
            when coalesce(session_features.total_sessions, 0) = 0 then 0
            else session_features.spam_sessions * 1.0 / session_features.total_sessions
        end as spam_session_share,
        users_by_cutoff.account_balance_usd,
        users_by_cutoff.recent_pages_viewed,
        users_by_cutoff.recent_pricing_views,
        coalesce(event_features.signups, 0) > 0
        and coalesce(event_features.calendar_bookings, 0) > 0 as converted,
        users_by_cutoff.as_of,
        event_features.first_event_at,
        event_features.last_event_at
    from users_by_cutoff
    left join event_features
        on
            users_by_cutoff.user_id = event_features.user_id
            and users_by_cutoff.as_of = event_features.as_of
    left join session_features
        on
            users_by_cutoff.user_id = session_features.user_id
            and users_by_cutoff.as_of = session_features.as_of
),

final as (
    select
        {{ dbt.concat(["user_id", "'|'", "cast(offset_days as " ~ dbt.type_string() ~ ")"]) }} as user_cutoff_key,
        *
    from joined
)

select * from final
