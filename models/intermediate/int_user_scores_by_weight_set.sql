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

-- one row per weight set, with each seed feature's weight, transform, cap and dimension as columns
-- (a feature a set does not name has a null weight and adds nothing)
weights_by_set as (
    select
        weight_set,
        {%- for feature in features %}
        max(case when feature = '{{ feature }}' then weight end) as {{ feature }}__weight,
        max(case when feature = '{{ feature }}' then transform end) as {{ feature }}__transform,
        max(case when feature = '{{ feature }}' then cap end) as {{ feature }}__cap,
        max(case when feature = '{{ feature }}' then dimension end) as {{ feature }}__dimension,
        {%- endfor %}
        max(positive_weight_sum) as positive_weight_sum
    from weights
    group by 1
),

-- every set scores today; past cutoffs only need the set in effect, at the backtest's cutoff
scored_cutoffs as (
    select
        weights_by_set.*,
        {%- for feature in features %}
        cast(features.{{ adapter.quote(feature) }} as {{ type_double() }}) as {{ feature }}__value,
        {%- endfor %}
        features.user_id,
        features.offset_days
    from features
    cross join weights_by_set
    where
        features.offset_days = 0
        or (
            weights_by_set.weight_set = '{{ var("weight_set") }}'
            and features.offset_days = {{ var('ml_validation_offset_days') }}
        )
),

-- each feature's points, wide: the same formula as user_score_contributions, one column per feature
pointed as (
    select
        weight_set,
        {%- for feature in features %}
        {{ feature }}__weight,
        {{ feature }}__dimension,
        coalesce({{ feature_points(
            feature ~ '__value', feature ~ '__weight', feature ~ '__transform', feature ~ '__cap', 'positive_weight_sum'
        ) }}, 0) as {{ feature }}__points,
        {%- endfor %}
        user_id,
        offset_days
    from scored_cutoffs
),

-- add up points, overall and per dimension for the subtotals
summed as (
    select
        weight_set,
        user_id,
        offset_days,
        {%- for feature in features %}
        {{ feature }}__points{{ " +" if not loop.last }}
        {%- else %}
        0.0
        {%- endfor %} as raw_points_total,
        {%- for dimension in ['intent', 'engagement', 'fit', 'penalty'] %}
        {%- for feature in features %}
        case when {{ feature }}__dimension = '{{ dimension }}' then {{ feature }}__points else 0.0 end{{
            " +" if not loop.last }}
        {%- else %}
        0.0
        {%- endfor %} as {{ dimension }}_points,
        {%- endfor %}
        {%- for feature in features %}
        case when {{ feature }}__weight is null then 0 else 1 end{{ " +" if not loop.last }}
        {%- else %}
        0
        {%- endfor %} as feature_count
    from pointed
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
