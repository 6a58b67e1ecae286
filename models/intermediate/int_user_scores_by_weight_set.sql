-- one row per (weight_set, user, cutoff): the 0-100 score, its dimension subtotals, label and rank under that set
with

contributions as (
    select * from {{ ref('int_score_contributions_at_cutoff') }}
),

thresholds as (
    select * from {{ ref('score_thresholds') }}
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
    from contributions
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
