-- one row per user: rule-based 0-100 score under var('weight_set'), its label, rank and explanation
-- depends_on: {{ ref('int_weights_validated') }}
{#- the seed's features for this weight set, known when the model runs -#}
{%- set features = seed_features(var('weight_set')) %}
with

scores as (
    select * from {{ ref('int_user_scores_by_weight_set') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

features as (
    select * from {{ ref('user_features') }}
),

-- only the weight set in effect
current_scores as (
    select * from scores
    where weight_set = '{{ var("weight_set") }}'
),

-- each user's top three contributions and largest penalty in words, and every feature's points
-- as JSON, ending in `explained_users` (macros/explained_users_ctes.sql)
{{ explained_users_ctes('features', 'weights', features, var('weight_set')) }},

final as (
    select
        current_scores.user_id,
        current_scores.weight_set,
        current_scores.label,
        case
            when explained_users.reason_1 is null and explained_users.top_penalty is null then 'no scoring activity yet'
            when explained_users.reason_1 is null then {{ dbt.concat(["'penalty: '", "explained_users.top_penalty"]) }}
            else {{ dbt.concat([
                "explained_users.reason_1",
                "coalesce(', ' || explained_users.reason_2, '')",
                "coalesce(', ' || explained_users.reason_3, '')",
                "coalesce('; penalty: ' || explained_users.top_penalty, '')",
            ]) }}
        end as explanation,
        explained_users.contributions,
        current_scores.score_rank,
        current_scores.score,
        current_scores.raw_points_total,
        current_scores.intent_points,
        current_scores.engagement_points,
        current_scores.fit_points,
        current_scores.penalty_points,
        current_scores.is_clamped,
        features.as_of
    from current_scores
    inner join features
        on current_scores.user_id = features.user_id
    left join explained_users
        on current_scores.user_id = explained_users.user_id
)

select * from final
