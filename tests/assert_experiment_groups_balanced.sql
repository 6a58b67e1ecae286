-- Within every stratum of every experiment, the treatment count is within one of n * share (at a
-- 50% share, the two groups differ in size by at most one), new users included; and each
-- experiment has one share. Returns unbalanced (experiment, stratum) pairs, and experiments
-- with more than one share (stratum '*').
with

assignments as (
    select * from {{ ref('experiment_assignments') }}
),

counted as (
    select
        experiment_name,
        stratum,
        min(treatment_share) as treatment_share,
        count(*) as user_count,
        sum(case when experiment_group = 'treatment' then 1 else 0 end) as treatment_users,
        sum(case when experiment_group = 'control' then 1 else 0 end) as control_users
    from assignments
    group by 1, 2
),

unbalanced as (
    select
        experiment_name,
        stratum
    from counted
    where
        abs(treatment_users - user_count * treatment_share) >= 1
        or (treatment_share = 0.5 and abs(treatment_users - control_users) > 1)
),

-- one share per experiment
mixed_shares as (
    select
        experiment_name,
        '*' as stratum
    from assignments
    group by 1
    having min(treatment_share) <> max(treatment_share)
),

final as (
    select * from unbalanced
    union all
    select * from mixed_shares
)

select * from final
