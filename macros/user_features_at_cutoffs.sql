{#-
    The point-in-time user features, as CTEs ending in `joined`: one row per user that existed
    by each cutoff in `cutoffs` (key user_cutoff_key), every feature computed only from sessions
    over by then and from the sessions running across it as they looked then (the rows of
    `spanning`, int_sessions_spanning_cutoffs, at those cutoffs). One definition for both places that
    compute features: user_features (the current cutoff, read by the rule scores and the model)
    and int_user_features_at_past_cutoffs (the earlier cutoffs, for training and the backtest),
    so the rules build never computes the cutoffs only the ML path reads.
    Arguments name the CTEs that hold stg_web__users, the cutoffs, sessions, the spanning
    sessions and int_user_days_rolled_up. several_cutoffs: the sessions at each cutoff are
    kept (materialized) before their aggregate, which they outgrow (see below); one cutoff's
    are streamed into it (at 100M events, user_features 29.5 -> 26.5 s, back to back).
-#}
{% macro user_features_at_cutoffs_ctes(users, cutoffs, sessions, spanning, user_days, several_cutoffs) -%}
{#- the session columns the features read, from completed and from spanning sessions alike -#}
{%- set session_columns = [
    'user_id', 'is_spam', 'is_bounce', 'is_repeat', 'viewed_pages', 'started_at', 'ended_at',
    'total_time_on_page_sec', 'timed_events', 'total_scroll_depth_pct', 'scrolled_events',
    'high_intent_decay_weight',
] -%}
{%- for event_type in var('event_types') if event_type != 'page_view' %}
{%- do session_columns.append(event_count_column(event_type)) %}
{%- endfor %}
{%- for event_type in high_intent_event_types() %}
{%- do session_columns.append(event_count_column(event_type) ~ '_decay_weight') %}
{%- endfor %}
-- every user that existed by each cutoff, with or without events; whether the profile
-- (stg_web__users keeps the latest load) was known then: at the current cutoff it is what we
-- score with, at a past one only if loaded by that cutoff, else a later load would leak into
-- training and the backtest
users_by_cutoff as (
    select
        users.*,
        cutoffs.offset_days,
        cutoffs.as_of,
        coalesce(cutoffs.is_current or users.loaded_at <= cutoffs.as_of, false) as is_profile_known
    from {{ users }} as users
    cross join {{ cutoffs }} as cutoffs
    where users.created_at is null or users.created_at <= cutoffs.as_of
),

-- the sessions running across these cutoffs, as they looked then
spanning_at_cutoffs as (
    select spanning.*
    from {{ spanning }} as spanning
    inner join {{ cutoffs }} as cutoffs
        on spanning.as_of = cutoffs.as_of
),

-- each session as it looked at each cutoff: over by then (as it is today), or running
-- across the cutoff (rolled up again from its events up to it); at several cutoffs,
-- materialized on DuckDB, so the aggregate below reads rows that can spill
-- (macros/materialized_cte.sql)
sessions_at_cutoff as {{ materialized_cte() if several_cutoffs }} (
    select
        {%- for column in session_columns %}
        sessions.{{ column }},
        {%- endfor %}
        cutoffs.as_of
    from {{ sessions }} as sessions
    inner join {{ cutoffs }} as cutoffs
        on sessions.ended_at <= cutoffs.as_of
    union all
    select
        {%- for column in session_columns %}
        {{ column }},
        {%- endfor %}
        as_of
    from spanning_at_cutoffs
),

-- one pass: funnel counts, engagement and time-decayed intent from sessions that do not
-- look like bots (spam never counts as engagement), and session counts and shares;
-- sessions carry sums, so these are exact
aggregated as (
    select
        as_of,
        user_id,
        {%- for event_type in var('event_types') if event_type != 'page_view' %}
        cast(sum(case when not is_spam then {{ event_count_column(event_type) }} end) as {{ dbt.type_bigint() }})
            as {{ event_count_column(event_type) }},
        {%- endfor %}
        cast(sum(case when not is_spam then viewed_pages end) as {{ dbt.type_bigint() }}) as page_views,
        sum(case when not is_spam then total_time_on_page_sec end)
        / nullif(sum(case when not is_spam then timed_events end), 0) as avg_time_on_page_sec,
        sum(case when not is_spam then total_scroll_depth_pct end)
        / nullif(sum(case when not is_spam then scrolled_events end), 0) as avg_scroll_depth_pct,
        -- each event weighs exp(-ln2 * age / half-life): 1 at as_of, 0.5 one half-life before
        {%- for event_type in high_intent_event_types() %}
        sum(
            case
                when not is_spam
                    then {{ decay_factor('started_at', 'as_of') }} * {{ event_count_column(event_type) }}_decay_weight
            end
        ) as decayed_{{ event_count_column(event_type) }},
        {%- endfor %}
        sum(case when not is_spam then {{ decay_factor('started_at', 'as_of') }} * high_intent_decay_weight end)
            as decayed_high_intent_events,
        min(case when not is_spam then started_at end) as first_event_at,
        max(case when not is_spam then ended_at end) as last_event_at,
        count(*) as total_sessions,
        count(case when is_spam then 1 end) as spam_sessions,
        count(case when not is_spam then 1 end) as sessions,
        count(case when not is_spam and is_bounce then 1 end) as bounced_sessions,
        count(case when not is_spam and is_repeat then 1 end) as repeat_sessions
    from sessions_at_cutoff
    group by 1, 2
),

-- the days each user started a session that is not a bot's on, by each cutoff: days whose first
-- such session was over by then (from the day roll-up), and the days of such sessions running
-- across the cutoff (a handful), each day once (fewer rows than grouping the sessions again)
active_user_days as (
    select
        cutoffs.as_of,
        user_days.user_id,
        user_days.activity_day
    from {{ user_days }} as user_days
    inner join {{ cutoffs }} as cutoffs
        on user_days.first_human_session_ended_at <= cutoffs.as_of
    union
    select
        as_of,
        user_id,
        {{ dbt.date_trunc('day', 'started_at') }} as activity_day
    from spanning_at_cutoffs
    where not is_spam
),

active_days as (
    select
        as_of,
        user_id,
        count(*) as active_days
    from active_user_days
    group by 1, 2
),

joined as (
    select
        {{ dbt.concat([
            "users_by_cutoff.user_id", "'|'", "cast(users_by_cutoff.offset_days as " ~ dbt.type_string() ~ ")"
        ]) }} as user_cutoff_key,
        users_by_cutoff.user_id,
        case when users_by_cutoff.is_profile_known then users_by_cutoff.country end as country,
        case when users_by_cutoff.is_profile_known then users_by_cutoff.city end as city,
        case when users_by_cutoff.is_profile_known then users_by_cutoff.primary_device end as primary_device,
        users_by_cutoff.offset_days,
        {%- for event_type in var('event_types') if event_type != 'page_view' %}
        coalesce(aggregated.{{ event_count_column(event_type) }}, 0) as {{ event_count_column(event_type) }},
        {%- endfor %}
        coalesce(aggregated.page_views, 0) as page_views,
        coalesce(aggregated.sessions, 0) as sessions,
        coalesce(aggregated.total_sessions, 0) as total_sessions,
        coalesce(aggregated.spam_sessions, 0) as spam_sessions,
        coalesce(aggregated.bounced_sessions, 0) as bounced_sessions,
        coalesce(active_days.active_days, 0) as active_days,
        case
            when coalesce(aggregated.sessions, 0) = 0 then 0
            else cast(aggregated.repeat_sessions as {{ type_double() }}) / aggregated.sessions
        end as repeat_session_rate,
        case
            when coalesce(aggregated.sessions, 0) = 0 then 0
            else cast(coalesce(aggregated.page_views, 0) as {{ type_double() }}) / aggregated.sessions
        end as pages_per_session,
        aggregated.avg_time_on_page_sec,
        aggregated.avg_scroll_depth_pct,
        -- shares and days are doubles on every engine (Spark keeps `n * 1.0 / m` a rounded decimal)
        cast({{ seconds_between('aggregated.last_event_at', 'users_by_cutoff.as_of') }} as {{ type_double() }})
        / 86400 as days_since_last_event,
        cast({{ seconds_between('aggregated.first_event_at', 'users_by_cutoff.as_of') }} as {{ type_double() }})
        / 86400 as days_since_first_event,
        {%- for event_type in high_intent_event_types() %}
        coalesce(aggregated.decayed_{{ event_count_column(event_type) }}, 0)
            as decayed_{{ event_count_column(event_type) }},
        {%- endfor %}
        coalesce(aggregated.decayed_high_intent_events, 0) as decayed_high_intent_events,
        case
            when coalesce(aggregated.sessions, 0) = 0 then 0
            else cast(aggregated.bounced_sessions as {{ type_double() }}) / aggregated.sessions
        end as bounce_rate,
        case
            when coalesce(aggregated.total_sessions, 0) = 0 then 0
            else cast(aggregated.spam_sessions as {{ type_double() }}) / aggregated.total_sessions
        end as spam_session_share,
        case when users_by_cutoff.is_profile_known then users_by_cutoff.account_balance_usd end as account_balance_usd,
        case when users_by_cutoff.is_profile_known then users_by_cutoff.recent_pages_viewed end as recent_pages_viewed,
        case when users_by_cutoff.is_profile_known then users_by_cutoff.recent_pricing_views end as recent_pricing_views,
        coalesce(aggregated.signups, 0) > 0
        and coalesce(aggregated.calendar_bookings, 0) > 0 as converted,
        users_by_cutoff.as_of,
        aggregated.first_event_at,
        aggregated.last_event_at
    from users_by_cutoff
    left join aggregated
        on
            users_by_cutoff.user_id = aggregated.user_id
            and users_by_cutoff.as_of = aggregated.as_of
    left join active_days
        on
            users_by_cutoff.user_id = active_days.user_id
            and users_by_cutoff.as_of = active_days.as_of
)
{%- endmacro %}
