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

-- the seed's reason phrase with {value} / {pct} filled in, for explanations
explained as (
    select
        *,
        replace(
            replace(reason, '{value}', {{ format_number('raw_value') }}),
            '{pct}', {{ format_percent('raw_value') }}
        ) as reason_text
    from current_cutoff
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
    from explained
)

select * from final
