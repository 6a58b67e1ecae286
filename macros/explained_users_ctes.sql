{#-
    The CTEs that explain each user's score under one weight set, ending in a CTE named
    `explained_users`: user_id; reason_1, reason_2, reason_3, the three largest positive
    contributions (ties by feature name) as "<reason phrase> (+points)"; top_penalty, the
    largest penalty; contributions, every feature's points as a JSON object in feature order.
    `features_cte` holds the user features (user_id and one column per feature),
    `weights_cte` the validated weights, `features` the seed features of `weight_set`.

    Two shapes of the same explanation (as in macros/summed_points_ctes.sql):
      default  wide: one row per user with each feature's points as columns (the default
               shape of summed_points_ctes); a feature's place is 1 + the features with
               more points (or as many and an earlier name). No per-feature rows, no sort,
               no aggregate: at 10M events 1.9 s against 3.4 s, and nothing to spill.
      spark    long: one row per user and feature, ranked with row_number and pivoted back
               (the wide form's hundreds of comparisons are what Spark's optimizer inlines
               and runs out of driver memory compiling).
    The unit test user_scores_explain_top_three_and_the_largest_penalty runs on both engines.
-#}
{% macro explained_users_ctes(features_cte, weights_cte, features, weight_set) -%}
    {{ return(adapter.dispatch('explained_users_ctes', 'intent_scoring')(
        features_cte, weights_cte, features, weight_set)) }}
{%- endmacro %}

{#- "<reason phrase> (+points)" for one contribution. -#}
{% macro reason_with_points(reason, value, points) -%}
    {{ dbt.concat([fill_reason(reason, value), "' ('", format_points(points), "')'"]) }}
{%- endmacro %}

{% macro default__explained_users_ctes(features_cte, weights_cte, features, weight_set) -%}
-- each feature's value, reason phrase and points as columns, one row per user
{{ default__summed_points_ctes(features_cte, weights_cte, features, "weight_set = '" ~ weight_set ~ "'") }},

-- each feature's place among the user's positive contributions, or among the penalties:
-- 1 + the features with more points (fewer, for penalties), or as many and an earlier name
-- (only for a feature with points of that sign: most have none, and are not compared)
placed as (
    select
        {%- for feature in features %}
        case when {{ feature }}__points > 0 then 1
            {%- for other in features if other != feature %}
            + cast({{ other }}__points {{ '>=' if other < feature else '>' }} {{ feature }}__points as integer)
            {%- endfor %}
        end as {{ feature }}__positive_place,
        case when {{ feature }}__points < 0 then 1
            {%- for other in features if other != feature %}
            + cast({{ other }}__points {{ '<=' if other < feature else '<' }} {{ feature }}__points as integer)
            {%- endfor %}
        end as {{ feature }}__penalty_place,
        {%- endfor %}
        *
    from pointed
),

-- the phrases of the top three positive contributions and of the largest penalty
explained_users as (
    select
        user_id,
        {%- for position in [1, 2, 3] %}
        {{ phrase_at_place(features, 'positive', position) }} as reason_{{ position }},
        {%- endfor %}
        {{ phrase_at_place(features, 'penalty', 1) }} as top_penalty,
        -- (+ 0.0 turns a penalty's -0.0 into 0.0, so the text does not depend on how it was computed)
        {%- set values = [] %}
        {%- for feature in features %}
        {%- do values.append(round_to(feature ~ '__points', 4) ~ ' + 0.0') %}
        {%- endfor %}
        {{ json_object_of(features, values) }} as contributions
    from placed
)
{%- endmacro %}

{#- The phrase of the feature at `place` among the positive contributions or the penalties
    (`kind`), in the wide shape; null when there is none. -#}
{% macro phrase_at_place(features, kind, place) -%}
    {%- if features -%}
    case
        {%- for feature in features %}
        when {{ feature }}__{{ kind }}_place = {{ place }}
            then {{ reason_with_points(feature ~ '__reason', feature ~ '__value', feature ~ '__points') }}
        {%- endfor %}
    end
    {%- else -%}
    cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__explained_users_ctes(features_cte, weights_cte, features, weight_set) -%}
-- the weight set's seed rows
explained_weights as (
    select * from {{ weights_cte }}
    where weight_set = '{{ weight_set }}'
),

-- one select per seed feature, stacked: (user, feature, raw value)
unpivoted as (
    {{ unpivot_features(features_cte, features, ['user_id']) }}
),

-- each feature's points (the formula of user_score_contributions)
feature_points as (
    select
        unpivoted.user_id,
        unpivoted.feature,
        unpivoted.raw_value,
        explained_weights.reason,
        {{ feature_points(
            normalize_feature('unpivoted.raw_value', 'explained_weights.transform', 'explained_weights.cap'),
            'explained_weights.weight', 'explained_weights.positive_weight_sum'
        ) }} as points
    from unpivoted
    inner join explained_weights
        on unpivoted.feature = explained_weights.feature
),

-- places among positive contributions and among penalties (two small windows)
ranked_positive as (
    select
        *,
        row_number() over (partition by user_id order by points desc, feature asc) as positive_place,
        0 as penalty_place
    from feature_points
    where points > 0
),

ranked_penalty as (
    select
        *,
        0 as positive_place,
        row_number() over (partition by user_id order by points asc, feature asc) as penalty_place
    from feature_points
    where points < 0
),

-- the top three positive contributions and the largest penalty, in words
explanation_rows as (
    select
        user_id,
        positive_place,
        penalty_place,
        {{ reason_with_points('reason', 'raw_value', 'points') }} as phrase
    from (
        select * from ranked_positive
        where positive_place <= 3
        union all
        select * from ranked_penalty
        where penalty_place = 1
    ) as top_rows
),

reasons as (
    select
        user_id,
        {%- for position in [1, 2, 3] %}
        max(case when positive_place = {{ position }} then phrase end) as reason_{{ position }},
        {%- endfor %}
        max(case when penalty_place = 1 then phrase end) as top_penalty
    from explanation_rows
    group by 1
),

contributions_json as (
    select
        user_id,
        {{ json_object_by_key(features, 'feature', round_to('points', 4) ~ ' + 0.0') }} as contributions
    from feature_points
    group by 1
),

explained_users as (
    select
        contributions_json.user_id,
        reasons.reason_1,
        reasons.reason_2,
        reasons.reason_3,
        reasons.top_penalty,
        contributions_json.contributions
    from contributions_json
    left join reasons
        on contributions_json.user_id = reasons.user_id
)
{%- endmacro %}
