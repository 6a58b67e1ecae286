-- one row per (weight_set, user, feature) at as_of: the current slice of the per-cutoff contributions
with

contributions as (
    select * from {{ ref('int_score_contributions_at_cutoff') }}
),

-- the current cutoff; earlier ones serve the backtest
current_cutoff as (
    select * from contributions
    where offset_days = 0
),

final as (
    select
        {{ dbt.concat(["weight_set", "'|'", "user_id", "'|'", "feature"]) }} as contribution_key,
        weight_set,
        user_id,
        feature,
        dimension,
        transform,
        reason_text,
        raw_value,
        normalized_value,
        weight,
        cap,
        points
    from current_cutoff
)

select * from final
