-- one row per (user, feature) at as_of under var('weight_set'): how many score points one feature gives one user
-- (a view: millions of rows that are cheaper to compute from user_features than to write and read back;
-- a query for one user reads that user's features row only)
{{ config(materialized='view') }}
{%- set features = seed_features(var('weight_set')) %}
with

features as (
    select * from {{ ref('user_features') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

-- every user's points per feature under the set in effect (macros/feature_points_ctes.sql)
{{ feature_points_ctes('features', 'weights', features) }},

-- the seed's reason phrase with {value} / {pct} filled in, for explanations
explained as (
    select
        *,
        {{ reason_text('reason', 'raw_value') }} as reason_text
    from pointed
),

final as (
    select
        {{ dbt.concat(["user_id", "'|'", "feature"]) }} as contribution_key,
        weight_set,
        user_id,
        feature,
        dimension,
        transform,
        reason_text,
        raw_value,
        normalized_value,
        weight,
        cap,
        points
    from explained
)

select * from final
