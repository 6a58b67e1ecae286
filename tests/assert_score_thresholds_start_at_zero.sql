-- Every 0-100 score gets a label only when the lowest threshold in seeds/score_thresholds.csv
-- is 0 (a score below the lowest gets no row in the label join). Returns the lowest when it is not.
with

thresholds as (
    select * from {{ ref('score_thresholds') }}
),

lowest as (
    select min(min_score) as lowest_min_score
    from thresholds
),

final as (
    select * from lowest
    where lowest_min_score is null or lowest_min_score <> 0
)

select * from final
