{#-
    The CTEs that give every user's points per seed feature under var('weight_set'),
    one row per (user, feature), ending in a CTE named `pointed` with: weight_set,
    user_id, feature, dimension, transform, reason (the seed's phrase), raw_value,
    weight, cap, normalized_value and points. `features_cte` holds user_features
    (one row per user), `weights_cte` the validated weights. Shared by the
    user_score_contributions view and user_scores, which ranks them for its
    explanation, so both read the same numbers.
-#}
{% macro feature_points_ctes(features_cte, weights_cte, features) -%}
-- the weight set in effect
current_weights as (
    select * from {{ weights_cte }}
    where weight_set = '{{ var("weight_set") }}'
),

-- one select per seed feature, stacked: (user, feature, raw value)
unpivoted as (
    {{ unpivot_features(features_cte, features, ['user_id']) }}
),

-- each value beside its feature's weight, transform, cap and reason phrase
weighted as (
    select
        current_weights.weight_set,
        unpivoted.user_id,
        unpivoted.feature,
        current_weights.dimension,
        current_weights.transform,
        current_weights.reason,
        unpivoted.raw_value,
        current_weights.weight,
        current_weights.cap,
        current_weights.positive_weight_sum
    from unpivoted
    inner join current_weights
        on unpivoted.feature = current_weights.feature
),

-- normalize with the seed's transform and cap only (no batch statistics)
normalized as (
    select
        *,
        {{ normalize_feature('raw_value', 'transform', 'cap') }} as normalized_value
    from weighted
),

-- points = 100 * weight * normalized / (sum of the set's positive weights), as in the scores
pointed as (
    select
        *,
        {{ feature_points('normalized_value', 'weight', 'positive_weight_sum') }} as points
    from normalized
)
{%- endmacro %}

{#- The seed's reason phrase with {value} / {pct} filled in from the raw value. -#}
{% macro reason_text(reason, raw_value) -%}
    replace(
        replace({{ reason }}, '{value}', {{ format_number(raw_value) }}),
        '{pct}', {{ format_percent(raw_value) }}
    )
{%- endmacro %}
