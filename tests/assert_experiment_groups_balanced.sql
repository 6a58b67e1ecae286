-- Within every stratum, the treatment count is within one of n * share (at a 50% share,
-- the two groups differ in size by at most one). Returns unbalanced strata.
with

assignments as (
    select * from {{ ref('experiment_assignments') }}
),

counted as (
    select
        stratum,
        min(treatment_share) as treatment_share,
        count(*) as user_count,
        sum(case when experiment_group = 'treatment' then 1 else 0 end) as treatment_users,
        sum(case when experiment_group = 'control' then 1 else 0 end) as control_users
    from assignments
    group by 1
),

final as (
    select * from counted
    where
        abs(treatment_users - user_count * treatment_share) >= 1
        or (treatment_share = 0.5 and abs(treatment_users - control_users) > 1)
)

select * from final
