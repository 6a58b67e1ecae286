-- one row per user: the rule score under var('weight_set') at the validation cutoff, for the backtest
with

scores as (
    select * from {{ ref('int_user_scores_by_weight_set') }}
),

-- the same SQL scored every cutoff; take the validation one
at_validation_cutoff as (
    select * from scores
    where
        weight_set = '{{ var("weight_set") }}'
        and offset_days = {{ var('ml_validation_offset_days') }}
),

final as (
    select
        user_id,
        label,
        score
    from at_validation_cutoff
)

select * from final
