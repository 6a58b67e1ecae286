-- one row per user: the rule score under var('weight_set') at the validation cutoff, for the backtest
-- depends_on: {{ ref('int_weights_validated') }}
{%- set features = seed_features() %}
with

features as (
    select * from {{ ref('int_user_features_at_past_cutoffs') }}
),

weights as (
    select * from {{ ref('int_weights_validated') }}
),

thresholds as (
    select * from {{ ref('score_thresholds') }}
),

-- the features as they were at the validation cutoff
validation_features as (
    select * from features
    where offset_days = {{ var('ml_validation_offset_days') }}
),

-- the same scoring as today's scores, under the set in effect only (macros/summed_points_ctes.sql)
{{ summed_points_ctes('validation_features', 'weights', features, "weight_set = '" ~ var('weight_set') ~ "'") }},

-- the score, clamped to 0..100, and its label (macros/score_labels.sql)
{{ score_label_ctes('summed', 'thresholds') }},

final as (
    select
        user_id,
        label,
        score
    from labelled
)

select * from final
