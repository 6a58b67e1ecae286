{#-
    The CTEs that add up every seed feature's points per (weight set, user),
    ending in a CTE named `summed` with: weight_set, user_id,
    raw_points_total, intent/engagement/fit/penalty_points and feature_count.
    (In the default shape the CTE before it, `pointed`, holds each feature's value, reason
    phrase and points as columns `<feature>__value`, `__reason`, `__points`: user_scores
    explains from it, see macros/explained_users_ctes.sql.)
    `features_cte` holds the user features at one cutoff (user_id and one column per
    feature), `weights_cte` the validated weights; `weight_set_filter`, if given, keeps
    the weight sets to score (a condition on `weight_set`; by default every set).

    Two shapes of the same sum, each with the formula of user_score_contributions
    (normalize_feature, then feature_points):
      default  wide: one row per user and set, one column per feature. No per-feature
               rows at all: on DuckDB this is several times faster than the long form.
      spark    long: one row per user, set and feature, streamed into the sums. Spark's
               optimizer inlines the wide form's columns into one expression per sum and
               runs out of driver memory compiling it.
    Both are checked against each other: the Spark test compares Spark's scores with
    DuckDB's, and assert_score_equals_sum_of_points the wide sums with the long
    contributions.
-#}
{% macro summed_points_ctes(features_cte, weights_cte, features, weight_set_filter=none) -%}
    {{ return(adapter.dispatch('summed_points_ctes', 'intent_scoring')(
        features_cte, weights_cte, features, weight_set_filter)) }}
{%- endmacro %}

{% macro default__summed_points_ctes(features_cte, weights_cte, features, weight_set_filter) -%}
-- one row per weight set: each seed feature's weight, transform, cap and dimension as columns
-- (a feature the set does not name has a null weight and adds nothing)
weights_by_set as (
    select
        weight_set,
        {%- for feature in features %}
        max(case when feature = '{{ feature }}' then weight end) as {{ feature }}__weight,
        max(case when feature = '{{ feature }}' then transform end) as {{ feature }}__transform,
        max(case when feature = '{{ feature }}' then cap end) as {{ feature }}__cap,
        max(case when feature = '{{ feature }}' then dimension end) as {{ feature }}__dimension,
        max(case when feature = '{{ feature }}' then reason end) as {{ feature }}__reason,
        {%- endfor %}
        max(positive_weight_sum) as positive_weight_sum
    from {{ weights_cte }}
    group by 1
),

-- each user beside each weight set that scores them
paired as (
    select
        weights_by_set.*,
        {%- for feature in features %}
        cast({{ features_cte }}.{{ adapter.quote(feature) }} as {{ type_double() }}) as {{ feature }}__value,
        {%- endfor %}
        {{ features_cte }}.user_id
    from {{ features_cte }}
    cross join weights_by_set
    {%- if weight_set_filter %}
    where {{ weight_set_filter }}
    {%- endif %}
),

-- each feature's points, one column per feature
pointed as (
    select
        weight_set,
        {%- for feature in features %}
        {{ feature }}__weight,
        {{ feature }}__dimension,
        {{ feature }}__value,
        {{ feature }}__reason,
        coalesce({{ feature_points(
            normalize_feature(feature ~ '__value', feature ~ '__transform', feature ~ '__cap'),
            feature ~ '__weight', 'positive_weight_sum'
        ) }}, 0) as {{ feature }}__points,
        {%- endfor %}
        user_id
    from paired
),

-- add up points, overall and per dimension for the subtotals
summed as (
    select
        weight_set,
        user_id,
        {% for feature in features -%}
        {{ feature }}__points{{ " + " if not loop.last }}
        {%- else -%}
        0.0
        {%- endfor %} as raw_points_total,
        {%- for dimension in ['intent', 'engagement', 'fit', 'penalty'] %}
        {% for feature in features -%}
        case when {{ feature }}__dimension = '{{ dimension }}' then {{ feature }}__points else 0.0 end
        {{- " + " if not loop.last }}
        {%- else -%}
        0.0
        {%- endfor %} as {{ dimension }}_points,
        {%- endfor %}
        {% for feature in features -%}
        case when {{ feature }}__weight is null then 0 else 1 end{{ " + " if not loop.last }}
        {%- else -%}
        0
        {%- endfor %} as feature_count
    from pointed
)
{%- endmacro %}

{% macro spark__summed_points_ctes(features_cte, weights_cte, features, weight_set_filter) -%}
-- one select per seed feature, stacked: (user, feature, raw value); streamed into
-- the sums below, never stored
unpivoted as (
    {{ unpivot_features(features_cte, features, ['user_id']) }}
),

-- each feature's points under each set
pointed as (
    select
        {{ weights_cte }}.weight_set,
        unpivoted.user_id,
        {{ weights_cte }}.dimension,
        {{ feature_points(
            normalize_feature('unpivoted.raw_value', weights_cte ~ '.transform', weights_cte ~ '.cap'),
            weights_cte ~ '.weight', weights_cte ~ '.positive_weight_sum'
        ) }} as points
    from unpivoted
    inner join {{ weights_cte }}
        on unpivoted.feature = {{ weights_cte }}.feature
    {%- if weight_set_filter %}
    where {{ weight_set_filter }}
    {%- endif %}
),

-- add up points per user, and per dimension for the subtotals
summed as (
    select
        weight_set,
        user_id,
        sum(points) as raw_points_total,
        {%- for dimension in ['intent', 'engagement', 'fit', 'penalty'] %}
        coalesce(sum(case when dimension = '{{ dimension }}' then points end), 0) as {{ dimension }}_points,
        {%- endfor %}
        count(*) as feature_count
    from pointed
    group by 1, 2
)
{%- endmacro %}
