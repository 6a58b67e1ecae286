-- one row per (user, cutoff): behaviour features computed only from events at or before the cutoff
with

users as (
    select * from {{ ref('stg_web__users') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
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

-- funnel counts, engagement and time-decayed intent from sessions that do not look like
-- bots (spam never counts as engagement); sessions carry sums, so these are exact
event_features as (
    select
        as_of,
        user_id,
        {%- for event_type in var('event_types') if event_type != 'page_view' %}
        sum({{ event_count_column(event_type) }}) as {{ event_count_column(event_type) }},
        {%- endfor %}
        sum(viewed_pages) as page_views,
        count(distinct {{ dbt.date_trunc('day', 'started_at') }}) as active_days,
        sum(total_time_on_page_sec) / nullif(sum(timed_events), 0) as avg_time_on_page_sec,
        sum(total_scroll_depth_pct) / nullif(sum(scrolled_events), 0) as avg_scroll_depth_pct,
        -- each event weighs exp(-ln2 * age / half-life): 1 at as_of, 0.5 one half-life before
        {%- for event_type in high_intent_event_types() %}
        sum(
            {{ decay_factor('started_at', 'as_of') }} * {{ event_count_column(event_type) }}_decay_weight
        ) as decayed_{{ event_count_column(event_type) }},
        {%- endfor %}
        sum({{ decay_factor('started_at', 'as_of') }} * high_intent_decay_weight) as decayed_high_intent_events,
        min(started_at) as first_event_at,
        max(ended_at) as last_event_at
    from sessions
    where not is_spam
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
            else cast(session_features.repeat_sessions as {{ type_double() }}) / session_features.sessions
        end as repeat_session_rate,
        case
            when coalesce(session_features.sessions, 0) = 0 then 0
            else cast(coalesce(event_features.page_views, 0) as {{ type_double() }}) / session_features.sessions
        end as pages_per_session,
        event_features.avg_time_on_page_sec,
        event_features.avg_scroll_depth_pct,
        -- shares and days are doubles on every engine (Spark keeps `n * 1.0 / m` a rounded decimal)
        cast({{ seconds_between('event_features.last_event_at', 'users_by_cutoff.as_of') }} as {{ type_double() }})
        / 86400 as days_since_last_event,
        cast({{ seconds_between('event_features.first_event_at', 'users_by_cutoff.as_of') }} as {{ type_double() }})
        / 86400 as days_since_first_event,
        {%- for event_type in high_intent_event_types() %}
        coalesce(event_features.decayed_{{ event_count_column(event_type) }}, 0)
            as decayed_{{ event_count_column(event_type) }},
        {%- endfor %}
        coalesce(event_features.decayed_high_intent_events, 0) as decayed_high_intent_events,
        case
            when coalesce(session_features.sessions, 0) = 0 then 0
            else cast(session_features.bounced_sessions as {{ type_double() }}) / session_features.sessions
        end as bounce_rate,
        case
            when coalesce(session_features.total_sessions, 0) = 0 then 0
            else cast(session_features.spam_sessions as {{ type_double() }}) / session_features.total_sessions
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
