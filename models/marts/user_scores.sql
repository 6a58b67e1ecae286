-- one row per user: rule-based 0-100 score under var('weight_set'), its label, rank and explanation
with

scores as (
    select * from {{ ref('int_user_scores_by_weight_set') }}
),

contributions as (
    select * from {{ ref('user_score_contributions') }}
),

features as (
    select * from {{ ref('user_features') }}
),

-- only the weight set in effect
current_scores as (
    select * from scores
    where weight_set = '{{ var("weight_set") }}' and offset_days = 0
),

current_contributions as (
    select
        *,
        {{ dbt.concat(["reason_text", "' ('", format_points('points'), "')'"]) }} as reason_with_points,
        row_number() over (
            partition by user_id order by points desc, feature asc
        ) as positive_rank,
        row_number() over (
            partition by user_id order by points asc, feature asc
        ) as penalty_rank
    from contributions
    where weight_set = '{{ var("weight_set") }}'
),

-- the three largest positive contributors, in words
top_reasons as (
    select
        user_id,
        {{ dbt.listagg('reason_with_points', "', '", 'order by positive_rank') }} as top_reasons
    from current_contributions
    where positive_rank <= 3 and points > 0
    group by 1
),

-- the largest penalty, if any
top_penalty as (
    select
        user_id,
        reason_with_points as top_penalty
    from current_contributions
    where penalty_rank = 1 and points < 0
),

-- every feature's points as a JSON object, for tools that want the whole breakdown
contributions_json as (
    select
        user_id,
        {{ dbt.concat([
            "'{'",
            dbt.listagg(
                dbt.concat(["'\"'", "feature", "'\":'", "cast(round(points, 4) as " ~ dbt.type_string() ~ ")"]),
                "','",
                "order by feature"
            ),
            "'}'",
        ]) }} as contributions
    from current_contributions
    group by 1
),

final as (
    select
        current_scores.user_id,
        current_scores.weight_set,
        current_scores.label,
        case
            when top_reasons.top_reasons is null and top_penalty.top_penalty is null then 'no scoring activity yet'
            when top_penalty.top_penalty is null then top_reasons.top_reasons
            when top_reasons.top_reasons is null
                then {{ dbt.concat(["'penalty: '", "top_penalty.top_penalty"]) }}
            else {{ dbt.concat(["top_reasons.top_reasons", "'; penalty: '", "top_penalty.top_penalty"]) }}
        end as explanation,
        contributions_json.contributions,
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
    left join top_reasons
        on current_scores.user_id = top_reasons.user_id
    left join top_penalty
        on current_scores.user_id = top_penalty.user_id
    left join contributions_json
        on current_scores.user_id = contributions_json.user_id
)

select * from final
