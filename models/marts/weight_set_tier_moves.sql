-- one row per (label under set A, label under set B): how many users would move tier in a retune
with

comparison as (
    select * from {{ ref('weight_set_comparison') }}
),

-- count users per tier transition
moves as (
    select
        weight_set_a,
        weight_set_b,
        label_a,
        label_b,
        label_move,
        count(*) as user_count,
        avg(abs(rank_change)) as avg_abs_rank_change
    from comparison
    group by 1, 2, 3, 4, 5
),

-- share of all compared users, so "how many change tier" reads directly
final as (
    select
        {{ dbt.concat(["label_a", "'->'", "label_b"]) }} as tier_move_key,
        *,
        cast(user_count as {{ type_double() }}) / sum(user_count) over () as share_of_users
    from moves
)

select * from final
