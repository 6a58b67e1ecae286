-- one row per (experiment, user): treatment or control, stratified by label and score quantile.
-- Assignments are kept: a later build adds the users an experiment has not seen and never moves
-- one already assigned (a running experiment keeps its groups while scores change).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
) }}
{#- all three are written into the SQL text: checked first (macros/checked_vars.sql) #}
{%- set share = checked_treatment_share() %}
{%- set experiment_name = checked_experiment_name() %}
{%- set score_strata = checked_score_strata() %}
{%- if is_incremental() %}
{%- do check_kept_assignments(this, experiment_name, share, score_strata) %}
{%- endif %}
with

scores as (
    select * from {{ ref('user_scores') }}
),

-- this experiment's assignments so far, which stay as they are (none on the first build)
assigned_before as (
    {%- if is_incremental() %}
    select
        user_id,
        stratum,
        stratum_position,
        experiment_group
    from {{ this }}
    where experiment_name = '{{ experiment_name }}'
    {%- else %}
    select
        user_id,
        label as stratum,
        cast(null as {{ dbt.type_bigint() }}) as stratum_position,
        label as experiment_group
    from scores
    where 1 = 0
    {%- endif %}
),

-- what each stratum holds already: new users continue its numbering and even out its groups
stratum_counts as (
    select
        stratum,
        max(stratum_position) as last_position,
        count(*) as assigned_users,
        sum(case when experiment_group = 'treatment' then 1 else 0 end) as treatment_users
    from assigned_before
    group by 1
),

-- strata: intent label and score quantile, so both groups get the same mix of intent
stratified as (
    select
        user_id,
        label,
        score,
        as_of,
        ntile({{ score_strata }}) over (order by score, user_id) as score_decile
    from scores
),

-- a shuffle salted by the experiment name: same name, same order; new name, new order
shuffled as (
    select
        *,
        {{ dbt.concat(["label", "'-d'", "cast(score_decile as " ~ dbt.type_string() ~ ")"]) }} as stratum,
        {{ dbt.hash(dbt.concat(["'" ~ experiment_name ~ "'", "'|'", "user_id"])) }} as shuffle_key
    from stratified
),

-- the users this experiment has not assigned yet (all of them on the first build)
unassigned as (
    select shuffled.*
    from shuffled
    left join assigned_before
        on shuffled.user_id = assigned_before.user_id
    where assigned_before.user_id is null
),

-- the k-th new user of each stratum in its shuffled order, beside what the stratum holds
numbered as (
    select
        unassigned.*,
        row_number() over (
            partition by unassigned.stratum order by unassigned.shuffle_key, unassigned.user_id
        ) as new_number,
        coalesce(stratum_counts.last_position, 0) as last_position,
        coalesce(stratum_counts.assigned_users, 0) as assigned_users,
        coalesce(stratum_counts.treatment_users, 0) as treatment_users
    from unassigned
    left join stratum_counts
        on unassigned.stratum = stratum_counts.stratum
),

-- treatment among the first k new users: the stratum's target floor((n + k) * share) less the t it
-- holds, at least 0 and at most k. It steps by 0 or 1, so the k-th user joins treatment when it
-- steps; a stratum that lost rows evens out again. (On the first build, n = t = 0: the p-th user
-- joins when floor(p * share) steps, so the treatment count is floor(n * share), within one of
-- its target; the groups within one of each other at 50%.)
targeted as (
    select
        *,
        last_position + new_number as stratum_position,
        {{ treatment_target('new_number', 'assigned_users', 'treatment_users', share) }} as treatment_target,
        {{ treatment_target('new_number - 1', 'assigned_users', 'treatment_users', share) }}
            as previous_treatment_target
    from numbered
),

assigned as (
    select
        *,
        case
            when treatment_target > previous_treatment_target then 'treatment'
            else 'control'
        end as experiment_group
    from targeted
),

final as (
    select
        {{ dbt.concat(["'" ~ experiment_name ~ "'", "'|'", "user_id"]) }} as experiment_user_key,
        '{{ experiment_name }}' as experiment_name,
        user_id,
        stratum,
        label,
        experiment_group,
        -- bigint and double on every engine (Spark's ntile and row_number are ints, and a
        -- literal share is a decimal whose scale follows its digits)
        cast(score_decile as {{ dbt.type_bigint() }}) as score_decile,
        cast(stratum_position as {{ dbt.type_bigint() }}) as stratum_position,
        score,
        cast({{ share }} as {{ type_double() }}) as treatment_share,
        cast({{ score_strata }} as {{ dbt.type_bigint() }}) as score_strata,
        as_of as assigned_as_of
    from assigned
)

select * from final
