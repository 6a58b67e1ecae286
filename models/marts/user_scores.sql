-- one row per user: rule-based 0-100 score under var('weight_set'), its label, rank and explanation
-- depends_on: {{ ref('int_weights_validated') }}
{#- the seed's features for this weight set, known when the model runs -#}
{%- set features = seed_features(var('weight_set')) %}
{#- passes over slices of users' feature points once they outgrow var('rollup_pass_rows') -#}
{%- set pass_bounds = rollup_pass_bounds(ref('int_user_feature_points')) %}
{%- set passes = pass_bounds | length + 1 %}
with

scores as (
    select * from {{ ref('int_user_scores_by_weight_set') }}
),

-- (each pass reads its own slice; inlined, the points are never held in memory whole)
points as {{ inlined_cte() }} (
    select * from {{ ref('int_user_feature_points') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

features as (
    select * from {{ ref('user_features') }}
),

-- only the weight set in effect (int_user_feature_points holds that set only)
current_scores as (
    select * from scores
    where weight_set = '{{ var("weight_set") }}'
),

current_weights as (
    select * from weights
    where weight_set = '{{ var("weight_set") }}'
),

-- each user's explanation and JSON breakdown, in passes over slices of users (one on a small
-- table); each pass is self-contained, so only its own rows are in memory at once
explained_users as (
    {%- for pass in range(passes) %}
    select * from (
        with

        -- this pass's users
        pass_points as (
            select * from points
            {%- if passes > 1 %}
            where {{ in_rollup_pass('user_id', pass, pass_bounds) }}
            {%- endif %}
        ),

        -- rank only the rows an explanation can use: positive points, and penalties apart
        -- (two small windows instead of two over every contribution)
        ranked_positive as (
            select
                user_id,
                feature,
                raw_value,
                points,
                row_number() over (
                    partition by user_id order by points desc, feature asc
                ) as positive_rank,
                0 as penalty_rank
            from pass_points
            where points > 0
        ),

        ranked_penalty as (
            select
                user_id,
                feature,
                raw_value,
                points,
                0 as positive_rank,
                row_number() over (
                    partition by user_id order by points asc, feature asc
                ) as penalty_rank
            from pass_points
            where points < 0
        ),

        -- the top three positive contributors and the largest penalty
        explanation_rows as (
            select * from ranked_positive
            where positive_rank <= 3
            union all
            select * from ranked_penalty
            where penalty_rank = 1
        ),

        -- in words, with their points: the seed's reason phrase filled in (for these rows only,
        -- not for every feature of every user)
        explained as (
            select
                explanation_rows.user_id,
                explanation_rows.positive_rank,
                explanation_rows.penalty_rank,
                {{ dbt.concat([
                    fill_reason('current_weights.reason', 'explanation_rows.raw_value'),
                    "' ('", format_points('explanation_rows.points'), "')'",
                ]) }} as reason_with_points
            from explanation_rows
            inner join current_weights
                on explanation_rows.feature = current_weights.feature
        ),

        -- the three largest positive contributors and the largest penalty, one column each
        -- (plain pivots, not ordered string aggregates, which DuckDB holds in memory per user)
        reasons as (
            select
                user_id,
                {%- for position in [1, 2, 3] %}
                max(case when positive_rank = {{ position }} then reason_with_points end) as reason_{{
                    position
                }},
                {%- endfor %}
                max(case when penalty_rank = 1 then reason_with_points end) as top_penalty
            from explained
            group by 1
        ),

        -- every feature's points as a JSON object, for tools that want the whole breakdown
        -- (+ 0.0 turns a penalty's -0.0 into 0.0, so the text does not depend on how it was computed)
        contributions_json as (
            select
                user_id,
                {{ json_object_by_key(features, 'feature', round_to('points', 4) ~ ' + 0.0') }} as contributions
            from pass_points
            group by 1
        )

        select
            contributions_json.user_id,
            reasons.reason_1,
            reasons.reason_2,
            reasons.reason_3,
            reasons.top_penalty,
            contributions_json.contributions
        from contributions_json
        left join reasons
            on contributions_json.user_id = reasons.user_id
    ) as pass_{{ pass }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

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
