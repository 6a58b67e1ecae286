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

-- one select per seed feature, stacked: (user, cutoff, feature, raw value); streamed into
-- the sums below, never stored
unpivoted as (
    {{ unpivot_features('scored_features', features, ['user_id', 'offset_days']) }}
),

-- each feature's points under each set: the same formula as user_score_contributions
pointed as (
    select
        weights.weight_set,
        unpivoted.user_id,
        unpivoted.offset_days,
        weights.dimension,
        {{ feature_points(
            normalize_feature('unpivoted.raw_value', 'weights.transform', 'weights.cap'),
            'weights.weight', 'weights.positive_weight_sum'
        ) }} as points
    from unpivoted
    inner join weights
        on unpivoted.feature = weights.feature
    where unpivoted.offset_days = 0 or weights.weight_set = '{{ var("weight_set") }}'
),

-- add up points per user, and per dimension for the subtotals
summed as (
    select
        weight_set,
        user_id,
        offset_days,
        sum(points) as raw_points_total,
        {%- for dimension in ['intent', 'engagement', 'fit', 'penalty'] %}
        coalesce(sum(case when dimension = '{{ dimension }}' then points end), 0) as {{ dimension }}_points,
        {%- endfor %}
        count(*) as feature_count
    from pointed
    group by 1, 2, 3
),

-- clamp to 0..100 and round to one decimal; the clamp stays visible
scored as (
    select
        *,
        {{ round_to('case when raw_points_total < 0 then 0 when raw_points_total > 100 then 100 '
            ~ 'else raw_points_total end', 1) }} as score,
        raw_points_total < 0 or raw_points_total > 100 as is_clamped
    from summed
),

-- the label whose min_score is the highest one the score reaches
labelled as (
    select
        scored.*,
        thresholds.label,
        row_number() over (
            partition by scored.weight_set, scored.user_id, scored.offset_days
            order by thresholds.min_score desc
        ) as threshold_rank
    from scored
    inner join thresholds
        on scored.score >= thresholds.min_score
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
    where threshold_rank = 1
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
