{#-
    Session roll-ups shared by the `sessions` mart (all events) and the
    point-in-time `int_sessions_spanning_cutoffs` (events up to a cutoff), so both
    count and flag sessions the same way.
-#}

{#- Column name for the per-session / per-user count of one event type. -#}
{% macro event_count_column(event_type) -%}
    {%- set plurals = {
        'page_view': 'page_views',
        'pricing_page_view': 'pricing_page_views',
        'search': 'searches',
        'chat_message': 'chat_messages',
        'doc_download': 'doc_downloads',
        'demo_request_click': 'demo_request_clicks',
        'signup': 'signups',
        'calendar_booking': 'calendar_bookings',
    } -%}
    {{- plurals.get(event_type, event_type ~ '_events') -}}
{%- endmacro %}

{#- The stg_web__events columns the session roll-ups read, joined to int_events_sessionized by event_id. -#}
{% macro event_attribute_columns(relation) -%}
    {%- for column in ['event_type', 'page_path', 'referrer', 'utm_source', 'device', 'time_on_page_sec',
                       'scroll_depth_pct', 'is_high_intent', 'is_page_view'] %}
    {{ relation }}.{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Distinct pages per session, as CTEs ending in `counted`: the roll-up `rolled_up_cte` with
    its distinct_pages (0 for a session without a page path). The (session, page) pairs are
    grouped, then counted: two plain group-bys spill to disk; a count(distinct ...) inside the
    roll-up cannot, and ran out of memory at 100M events. key_columns identify a session in both. -#}
{% macro session_page_counts_ctes(events_cte, rolled_up_cte, key_columns) -%}
-- each page a session saw, once
session_pages as (
    select
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        page_path
    from {{ events_cte }}
    where page_path is not null
    group by {% for column in key_columns %}{{ loop.index }}, {% endfor %}{{ key_columns | length + 1 }}
),

-- how many distinct pages each session saw
page_counts as (
    select
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        count(*) as distinct_pages
    from session_pages
    group by {% for column in key_columns %}{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
),

-- the roll-up with its distinct page count
counted as (
    select
        {{ rolled_up_cte }}.*,
        coalesce(page_counts.distinct_pages, 0) as distinct_pages
    from {{ rolled_up_cte }}
    left join page_counts
        on
            {%- for column in key_columns %}
            {{ "and " if not loop.first }}{{ rolled_up_cte }}.{{ column }} = page_counts.{{ column }}
            {%- endfor %}
)
{%- endmacro %}

{#- Aggregates over the events of one session (int_events_sessionized rows with their
    event_attribute_columns). Counts use
    count(case ...), a bigint everywhere (DuckDB's sum of integers is a 128-bit integer, slow to add up). -#}
{% macro session_rollup_columns() -%}
    min(user_id) as user_id,
    min(session_number) as session_number,
    max(case when event_number_in_session = 1 then page_path end) as entry_page_path,
    max(case when event_number_in_session = 1 then device end) as device,
    max(case when event_number_in_session = 1 then referrer end) as referrer,
    max(case when event_number_in_session = 1 then utm_source end) as utm_source,
    count(*) as event_count,
    {%- for event_type in var('event_types') %}
    count(case when event_type = '{{ event_type }}' then 1 end) as {{ event_count_column(event_type) }},
    {%- endfor %}
    count(case when is_page_view then 1 end) as viewed_pages,
    count(case when is_high_intent then 1 end) as high_intent_events,
    coalesce(sum(time_on_page_sec), 0) as total_time_on_page_sec,
    count(case when coalesce(time_on_page_sec, 0) = 0 then 1 end) as zero_time_events,
    avg(time_on_page_sec) as avg_time_on_page_sec,
    avg(scroll_depth_pct) as avg_scroll_depth_pct,
    count(time_on_page_sec) as timed_events,
    coalesce(sum(scroll_depth_pct), 0) as total_scroll_depth_pct,
    count(scroll_depth_pct) as scrolled_events,
    {#- Time decay factorizes: sum of exp(-ln2 (as_of - t) / h) over a session's events
        = exp(-ln2 (as_of - start) / h) * sum of exp(ln2 (t - start) / h), so each session
        stores the second factor and features at any as_of multiply by the first. #}
    {%- for event_type in high_intent_event_types() %}
    sum(
        case
            when event_type = '{{ event_type }}' then {{ decay_growth('session_started_at', 'event_at') }}
            else 0
        end
    ) as {{ event_count_column(event_type) }}_decay_weight,
    {%- endfor %}
    sum(
        case when is_high_intent then {{ decay_growth('session_started_at', 'event_at') }} else 0 end
    ) as high_intent_decay_weight,
    min(event_at) as started_at,
    max(event_at) as ended_at,
    max(processed_at) as processed_at
{%- endmacro %}

{#- The high-intent event types: flagged in staging, and their time-decayed counts are features. -#}
{% macro high_intent_event_types() -%}
    {{ return(['signup', 'calendar_booking', 'demo_request_click', 'pricing_page_view']) }}
{%- endmacro %}

{#- exp(ln2 * (later - earlier) / half-life): how much an event grows in weight from earlier to later. -#}
{% macro decay_growth(earlier, later) -%}
    exp(0.6931471805599453 * cast({{ seconds_between(earlier, later) }} as {{ type_double() }})
        / ({{ var('decay_half_life_days') }} * 86400.0))
{%- endmacro %}

{#- exp(-ln2 * (later - earlier) / half-life): the weight left after decaying from earlier to later. -#}
{% macro decay_factor(earlier, later) -%}
    exp(-0.6931471805599453 * cast({{ seconds_between(earlier, later) }} as {{ type_double() }})
        / ({{ var('decay_half_life_days') }} * 86400.0))
{%- endmacro %}

{#- Flags derived from the roll-up columns above; thresholds are project vars. -#}
{#- Events per minute over a session's span, at least one second long. -#}
{% macro events_per_minute() -%}
    cast(event_count as {{ type_double() }}) * 60 / case
        when {{ seconds_between('started_at', 'ended_at') }} < 1 then 1
        else {{ seconds_between('started_at', 'ended_at') }}
    end
{%- endmacro %}

{% macro session_flag_columns() -%}
    {{ seconds_between('started_at', 'ended_at') }} as duration_sec,
    -- events per minute over the session's span, at least one second long (a double on every
    -- engine: Spark would keep `count * 60.0 / n` a rounded decimal)
    {{ events_per_minute() }} as events_per_minute,
    -- a bounce: a single page viewed and nothing else, or too little time in total
    (
        (event_count = viewed_pages and viewed_pages <= {{ var('bounce_max_page_views') }})
        or total_time_on_page_sec < {{ var('bounce_time_on_page_sec') }}
    ) as is_bounce,
    -- bot-like: many events per minute, or many events with no time on page
    (
        (
            event_count >= {{ var('spam_min_events') }}
            and {{ events_per_minute() }} >= {{ var('spam_min_events_per_minute') }}
        )
        or zero_time_events >= {{ var('spam_min_zero_time_events') }}
    ) as is_spam,
    session_number > 1 as is_repeat
{%- endmacro %}
