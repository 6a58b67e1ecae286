-- one row per user: treatment or control for var('experiment_name'), stratified by label and score decile
{#- both are written into the SQL text: checked first (macros/checked_vars.sql) #}
{%- set share = checked_treatment_share() %}
{%- set experiment_name = checked_experiment_name() %}
with

scores as (
    select * from {{ ref('user_scores') }}
),

-- strata: intent label and score decile, so both groups get the same mix of intent
stratified as (
    select
        user_id,
        label,
        score,
        ntile(10) over (order by score, user_id) as score_decile
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

-- position in the stratum's shuffled order
positioned as (
    select
        *,
        row_number() over (partition by stratum order by shuffle_key, user_id) as stratum_position
    from shuffled
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
        user_id,
        '{{ experiment_name }}' as experiment_name,
        stratum,
        label,
        experiment_group,
        -- bigint and double on every engine (Spark's ntile and row_number are ints, and a
        -- literal share is a decimal whose scale follows its digits)
        cast(score_decile as {{ dbt.type_bigint() }}) as score_decile,
        cast(stratum_position as {{ dbt.type_bigint() }}) as stratum_position,
        score,
        cast({{ share }} as {{ type_double() }}) as treatment_share
    from assigned
)

select * from final
