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
{%- do check_kept_assignments(this, experiment_name, share) %}
{%- endif %}
with

scores as (
    select * from {{ ref('user_scores') }}
),

{%- if is_incremental() %}

-- this experiment's assignments so far, which stay as they are
assigned_before as (
    select * from {{ this }}
    where experiment_name = '{{ experiment_name }}'
),

-- how many users each stratum holds already: new users continue its numbering
stratum_sizes as (
    select
        stratum,
        max(stratum_position) as assigned_users
    from assigned_before
    group by 1
),
{%- endif %}

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
    {%- if is_incremental() %}
    left join assigned_before
        on shuffled.user_id = assigned_before.user_id
    where assigned_before.user_id is null
    {%- endif %}
),

-- position in the stratum's shuffled order, after the users it already holds
positioned as (
    select
        unassigned.*,
        {%- if is_incremental() %}
        coalesce(stratum_sizes.assigned_users, 0)
        + row_number() over (partition by unassigned.stratum order by unassigned.shuffle_key, unassigned.user_id)
            as stratum_position
        {%- else %}
        row_number() over (partition by stratum order by shuffle_key, user_id) as stratum_position
        {%- endif %}
    from unassigned
    {%- if is_incremental() %}
    left join stratum_sizes
        on unassigned.stratum = stratum_sizes.stratum
    {%- endif %}
),

-- the p-th user joins treatment when floor(p * share) steps up, so every stratum's
-- treatment count is floor(n * share): within one of its target, groups within one of each other at 50%
assigned as (
    select
        *,
        case
            when floor(stratum_position * {{ share }}) > floor((stratum_position - 1) * {{ share }})
                then 'treatment'
            else 'control'
        end as experiment_group
    from positioned
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
        as_of as assigned_as_of
    from assigned
)

select * from final
