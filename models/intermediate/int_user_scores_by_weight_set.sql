-- one row per (weight_set, user, cutoff): the 0-100 score under that set at that cutoff,
-- its dimension subtotals, label and rank
-- depends_on: {{ ref('int_weights_validated') }}
{%- set features = seed_features() %}
with

features as (
    select * from {{ ref('int_user_features_at_cutoff') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

thresholds as (
    select * from {{ ref('score_thresholds') }}
),

-- the cutoffs scored: today for every set; the backtest's cutoff for the set in effect only
scored_features as (
    select * from features
    where offset_days in (0, {{ var('ml_validation_offset_days') }})
),

-- every feature's points under each set, added up (engine-specific shape, same formula as
-- user_score_contributions: see macros/summed_points_ctes.sql)
{{ summed_points_ctes(
    'scored_features', 'weights', features,
    "offset_days = 0 or weight_set = '" ~ var('weight_set') ~ "'"
) }},

-- clamp to 0..100 and round to one decimal; the clamp stays visible
scored as (
    select
        *,
        {{ round_to('case when raw_points_total < 0 then 0 when raw_points_total > 100 then 100 '
            ~ 'else raw_points_total end', 1) }} as score,
        raw_points_total < 0 or raw_points_total > 100 as is_clamped
    from summed
),

-- each label's score range: from its min_score up to the next label's
threshold_ranges as (
    select
        label,
        min_score,
        lead(min_score) over (order by min_score) as next_min_score
    from thresholds
),

-- the label whose range holds the score (a range join on three rows, no per-user sort)
labelled as (
    select
        scored.*,
        threshold_ranges.label
    from scored
    inner join threshold_ranges
        on
            scored.score >= threshold_ranges.min_score
            and (threshold_ranges.next_min_score is null or scored.score < threshold_ranges.next_min_score)
),

-- rank 1 = best; ties broken by unrounded points, then user id, so reruns agree
ranked as (
    select
        *,
        row_number() over (
            partition by weight_set, offset_days
            order by score desc, raw_points_total desc, user_id asc
        ) as score_rank
    from labelled
),

final as (
    select
        {{ dbt.concat([
            "weight_set", "'|'", "user_id", "'|'", "cast(offset_days as " ~ dbt.type_string() ~ ")"
        ]) }} as weight_set_user_cutoff_key,
        weight_set,
        user_id,
        offset_days,
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
