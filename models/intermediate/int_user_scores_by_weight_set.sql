-- one row per (weight_set, user): the 0-100 score under that set as of var('as_of'),
-- its dimension subtotals, label and rank
-- depends_on: {{ ref('int_weights_validated') }}
{%- set features = seed_features() %}
with

features as (
    select * from {{ ref('user_features') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

thresholds as (
    select * from {{ ref('score_thresholds') }}
),

-- every feature's points under each set, added up (engine-specific shape, same formula as
-- user_score_contributions: see macros/summed_points_ctes.sql)
{{ summed_points_ctes('features', 'weights', features) }},

-- the score, clamped to 0..100, and its label (macros/score_labels.sql)
{{ score_label_ctes('summed', 'thresholds') }},

-- rank 1 = best; ties broken by unrounded points, then user id, so reruns agree
ranked as (
    select
        *,
        row_number() over (
            partition by weight_set
            order by score desc, raw_points_total desc, user_id asc
        ) as score_rank
    from labelled
),

final as (
    select
        {{ dbt.concat(["weight_set", "'|'", "user_id"]) }} as weight_set_user_key,
        weight_set,
        user_id,
        label,
        -- bigint on every engine (Spark's row_number is an int)
        cast(score_rank as {{ dbt.type_bigint() }}) as score_rank,
        score,
        raw_points_total,
        intent_points,
        engagement_points,
        fit_points,
        penalty_points,
        feature_count,
        is_clamped
    from ranked
)

select * from final
