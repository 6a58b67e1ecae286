-- one row per user among the top var('top_n') of user_scores, with the explanation, for CRM export
with

scores as (
    select * from {{ ref('user_scores') }}
),

-- the best-ranked users; rank is already unique and deterministic
top as (
    select * from scores
    where score_rank <= {{ var('top_n') }}
),

final as (
    select
        user_id,
        label,
        explanation,
        score_rank,
        score,
        as_of
    from top
)

select * from final
