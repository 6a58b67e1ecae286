-- one row per user: rank and label under two weight sets (vars compare_weight_set_a / _b), to preview a retune
{#- both must be sets of seeds/weights.csv: checked first (macros/checked_vars.sql) #}
{%- set set_a, set_b = checked_compare_weight_sets() %}
with

scores as (
    select * from {{ ref('int_user_scores_by_weight_set') }}
),

scores_a as (
    select * from scores
    where weight_set = '{{ set_a }}'
),

scores_b as (
    select * from scores
    where weight_set = '{{ set_b }}'
),

-- the same user under both sets
paired as (
    select
        scores_a.user_id,
        scores_a.weight_set as weight_set_a,
        scores_b.weight_set as weight_set_b,
        scores_a.label as label_a,
        scores_b.label as label_b,
        scores_a.score_rank as rank_a,
        scores_b.score_rank as rank_b,
        scores_a.score as score_a,
        scores_b.score as score_b
    from scores_a
    inner join scores_b
        on scores_a.user_id = scores_b.user_id
),

final as (
    select
        user_id,
        weight_set_a,
        weight_set_b,
        label_a,
        label_b,
        case
            when label_a = label_b then 'same'
            when
                (label_a = 'low' and label_b in ('medium', 'high'))
                or (label_a = 'medium' and label_b = 'high')
                then 'up'
            else 'down'
        end as label_move,
        rank_a,
        rank_b,
        rank_a - rank_b as rank_change,
        score_a,
        score_b,
        score_b - score_a as score_change,
        label_a <> label_b as is_tier_changed
    from paired
)

select * from final
