-- For every user, the contribution points add up to the score (within rounding to
-- one decimal) unless the score was clamped, and a clamp is always visible: the long
-- formula (user_score_contributions) against the wide one (int_user_scores_by_weight_set,
-- whose scores user_scores shows; read there, the test runs beside user_scores, not after it).
with

all_scores as (
    select * from {{ ref('int_user_scores_by_weight_set') }}
),

scores as (
    select * from all_scores
    where weight_set = '{{ var("weight_set") }}'
),

contributions as (
    select * from {{ ref('user_score_contributions') }}
),

-- each user's points under the same weight set (grouped by the user alone: a second string key
-- cost a fifth of the test at 100M events)
summed as (
    select
        user_id,
        sum(points) as points_total
    from contributions
    where weight_set = '{{ var("weight_set") }}'
    group by 1
),

final as (
    select
        scores.user_id,
        scores.score,
        scores.is_clamped,
        summed.points_total
    from scores
    inner join summed
        on scores.user_id = summed.user_id
    where
        (not scores.is_clamped and abs(scores.score - summed.points_total) > 0.05)
        or (scores.is_clamped and summed.points_total between 0 and 100)
        or (scores.is_clamped and summed.points_total < 0 and scores.score <> 0)
        or (scores.is_clamped and summed.points_total > 100 and scores.score <> 100)
)

select * from final
