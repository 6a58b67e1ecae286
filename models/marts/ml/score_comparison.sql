-- one row per user: rule rank vs model rank at as_of, and the overall Spearman correlation
with

rules as (
    select * from {{ ref('user_scores') }}
),

model_scores as (
    select * from {{ ref('ml_model_scores') }}
),

-- both rankings for each user the model scored
paired as (
    select
        rules.user_id,
        rules.label as rule_label,
        model_scores.label as model_label,
        rules.score_rank as rule_rank,
        model_scores.score_rank as model_rank,
        rules.score as rule_score,
        model_scores.probability as model_probability
    from rules
    inner join model_scores
        on rules.user_id = model_scores.user_id
    where model_scores.status = 'trained'
),

-- Spearman's rho is the Pearson correlation of the ranks
correlated as (
    select
        *,
        corr(rule_rank, model_rank) over () as spearman_correlation
    from paired
),

final as (
    select
        user_id,
        rule_label,
        model_label,
        rule_rank,
        model_rank,
        rule_rank - model_rank as rank_gap,
        rule_score,
        model_probability,
        spearman_correlation
    from correlated
)

select * from final
