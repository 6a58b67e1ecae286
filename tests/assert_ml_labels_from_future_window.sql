-- Labels use only events after the cutoff: converted_next is true exactly when every label
-- event type happens inside (as_of, label_window_end], recounted here from the events.
-- Rows of users converted by the cutoff must not be in the training set. Returns offending rows.
{%- set label_types = var('label_event_types') %}
{%- set all_in_window = [] %}
{%- set all_by_cutoff = [] %}
{%- for event_type in label_types %}
{%- do all_in_window.append('recount.in_window_' ~ event_type ~ ' = 1') %}
{%- do all_by_cutoff.append('recount.by_cutoff_' ~ event_type ~ ' = 1') %}
{%- endfor %}
with

training_set as (
    select * from {{ ref('ml_training_set') }}
),

events as (
    select * from {{ ref('stg_web__events') }}
),

-- per training row: label event types seen in the window, and by the cutoff
recount as (
    select
        training_set.user_cutoff_key,
        {%- for event_type in label_types %}
        max(
            case
                when
                    events.event_type = '{{ event_type }}'
                    and events.event_at > training_set.as_of
                    and events.event_at <= training_set.label_window_end
                    then 1
                else 0
            end
        ) as in_window_{{ event_type }},
        max(
            case
                when events.event_type = '{{ event_type }}' and events.event_at <= training_set.as_of then 1
                else 0
            end
        ) as by_cutoff_{{ event_type }},
        {%- endfor %}
        count(events.event_id) as user_event_count
    from training_set
    left join events
        on training_set.user_id = events.user_id
    group by 1
),

final as (
    select
        training_set.user_cutoff_key,
        training_set.converted_next
    from training_set
    inner join recount
        on training_set.user_cutoff_key = recount.user_cutoff_key
    where
        training_set.converted_next <> ({{ all_in_window | join(' and ') }})
        or ({{ all_by_cutoff | join(' and ') }})
)

select * from final
