{#-
    No feature row of `model` (user_features or int_user_features_at_past_cutoffs: user_id,
    user_cutoff_key, as_of, signups, spam_sessions, first/last_event_at) uses an event after
    its as_of: no session re-rolled at one of its cutoffs ends after it, and signups match an
    independent recount of the staged events up to the cutoff. Returns offending rows.
-#}
{% test features_point_in_time(model) %}

with

features as (
    select * from {{ model }}
),

spanning as (
    select * from {{ ref('int_sessions_spanning_cutoffs') }}
),

staged as (
    select * from {{ ref('stg_web__events') }}
),

-- the cutoffs these features are at
cutoffs as (
    select distinct as_of from features
),

-- signups recounted from the staged events alone, up to each as_of (independent of sessions)
recount as (
    select
        cutoffs.as_of,
        staged.user_id,
        count(*) as signups
    from staged
    inner join cutoffs
        on staged.event_at <= cutoffs.as_of
    where staged.event_type = 'signup'
    group by 1, 2
),

late_features as (
    select
        user_cutoff_key as offending_key,
        'feature row uses an event after as_of' as problem
    from features
    where last_event_at > as_of or first_event_at > as_of
),

late_sessions as (
    select
        spanning.cutoff_session_key as offending_key,
        'session rolled up at a cutoff ends after it' as problem
    from spanning
    inner join cutoffs
        on spanning.as_of = cutoffs.as_of
    where spanning.ended_at > spanning.as_of
),

miscounted as (
    select
        features.user_cutoff_key as offending_key,
        'signups differ from a recount of staged events up to as_of' as problem
    from features
    left join recount
        on features.user_id = recount.user_id and features.as_of = recount.as_of
    where
        -- bot sessions are left out of features, so never more than the recount,
        -- and exactly the recount for users with no bot session by then
        features.signups > coalesce(recount.signups, 0)
        or (features.spam_sessions = 0 and features.signups <> coalesce(recount.signups, 0))
),

final as (
    select * from late_features
    union all
    select * from late_sessions
    union all
    select * from miscounted
)

select * from final

{% endtest %}
