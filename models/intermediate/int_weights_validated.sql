-- one row per (weight_set, feature) of seeds/weights.csv, typed, after the seed passed validation
-- depends_on: {{ ref('user_features') }}
{% do validate_weights(ref('weights'), ref('user_features')) %}
with

weights as (
    select * from {{ ref('weights') }}
),

-- the seed is read as text so validation can name bad rows; cast now that it passed
typed as (
    select
        weight_set,
        lower(trim(feature)) as feature,
        trim(transform) as transform,  -- noqa: RF04
        dimension,
        reason,
        cast(weight as {{ type_double() }}) as weight,
        cast(nullif(trim(cap), '') as {{ type_double() }}) as cap
    from weights
),

-- points are scaled by the set's positive weights so a perfect user scores 100
with_scale as (
    select
        *,
        sum(case when weight > 0 then weight else 0 end) over (partition by weight_set) as positive_weight_sum
    from typed
),

final as (
    select
        {{ dbt.concat(["weight_set", "'|'", "feature"]) }} as weight_key,
        *
    from with_scale
)

select * from final
