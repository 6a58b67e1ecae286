-- one row per (user, labelled cutoff): features as of the cutoff and a label taken only from after it
{%- set label_types = var('label_event_types') %}
{#- checked against the labelled cutoffs (macros/checked_vars.sql) #}
{%- set horizon = checked_label_horizon() %}
with

features as (
    select * from {{ ref('int_user_features_at_past_cutoffs') }}
),

events as (
    select * from {{ ref('stg_web__events') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

-- the two labelled cutoffs: training (older) and out-of-time validation
labelled_cutoffs as (
    select
        offset_days,
        as_of,
        {{ dbt.dateadd('day', horizon, 'as_of') }} as label_window_end,
        case
            when offset_days = {{ var('ml_train_offset_days') }} then 'train'
            else 'validation'
        end as split
    from cutoffs
    where offset_days in ({{ var('ml_train_offset_days') }}, {{ var('ml_validation_offset_days') }})
),

-- per user and cutoff: which label event types happened by the cutoff, and inside (cutoff, cutoff + horizon]
label_events as (
    select
        labelled_cutoffs.offset_days,
        events.user_id,
        {%- for event_type in label_types %}
        max(
            case
                when events.event_type = '{{ event_type }}' and events.event_at <= labelled_cutoffs.as_of
                    then 1
                else 0
            end
        ) as had_{{ event_type }}_by_cutoff,
        max(
            case
                when
                    events.event_type = '{{ event_type }}'
                    and events.event_at > labelled_cutoffs.as_of
                    and events.event_at <= labelled_cutoffs.label_window_end
                    then 1
                else 0
            end
        ) as has_{{ event_type }}_in_window,
        {%- endfor %}
        count(*) as label_event_count
    from events
    inner join labelled_cutoffs
        on events.event_at <= labelled_cutoffs.label_window_end
    where
        events.event_type in (
            '{{ label_types | join("', '") }}'
        )
    group by 1, 2
),

{%- set done_by_cutoff = [] %}
{%- set done_in_window = [] %}
{%- for event_type in label_types %}
{%- do done_by_cutoff.append('label_events.had_' ~ event_type ~ '_by_cutoff = 1') %}
{%- do done_in_window.append('label_events.has_' ~ event_type ~ '_in_window = 1') %}
{%- endfor %}

-- features at the cutoff, with the future label; users converted by the cutoff are left out
joined as (
    select
        features.*,
        labelled_cutoffs.split,
        labelled_cutoffs.label_window_end,
        coalesce({{ done_by_cutoff | join(' and ') }}, false) as is_converted_at_cutoff,
        coalesce({{ done_in_window | join(' and ') }}, false) as converted_next
    from features
    inner join labelled_cutoffs
        on features.offset_days = labelled_cutoffs.offset_days
    left join label_events
        on
            features.user_id = label_events.user_id
            and features.offset_days = label_events.offset_days
),

final as (
    select
        user_cutoff_key,
        user_id,
        split,
        offset_days,
        {%- for feature in var('ml_features') %}
        {{ feature }},
        {%- endfor %}
        converted_next,
        as_of,
        label_window_end
    from joined
    where not is_converted_at_cutoff
)

select * from final
