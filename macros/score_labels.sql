{#-
    From `summed_cte` (the output of summed_points_ctes) to the 0-100 score and its label,
    as CTEs ending in `labelled`: the summed columns plus score, is_clamped and label.
    `thresholds_cte` holds the score_thresholds seed (label, min_score). Shared by today's
    scores (int_user_scores_by_weight_set) and the backtest's (int_rule_scores_at_validation_cutoff).
-#}
{% macro score_label_ctes(summed_cte, thresholds_cte) -%}
-- clamp to 0..100 and round to one decimal; the clamp stays visible
scored as (
    select
        *,
        {{ round_to('case when raw_points_total < 0 then 0 when raw_points_total > 100 then 100 '
            ~ 'else raw_points_total end', 1) }} as score,
        raw_points_total < 0 or raw_points_total > 100 as is_clamped
    from {{ summed_cte }}
),

-- each label's score range: from its min_score up to the next label's
threshold_ranges as (
    select
        label,
        min_score,
        lead(min_score) over (order by min_score) as next_min_score
    from {{ thresholds_cte }}
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
)
{%- endmacro %}
