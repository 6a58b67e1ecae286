{#-
    Fail the build, before any score is rebuilt, when seeds/weights.csv has a bad row.

    Each problem names the seed line (the header is line 1) and the row's
    (weight_set, feature), so the fix is obvious. Called from
    int_weights_validated at execution time; the models downstream of it
    (user_score_contributions, user_scores, ...) are then skipped, so the scores
    from the last good build stay queryable.
-#}
{% macro validate_weights(weights_relation, features_relation) %}
    {%- if not execute %}{{ return(none) }}{% endif -%}
    {#- Compiling against an empty warehouse (dbt compile, sqlfluff): nothing to check yet.
        In a build both relations always exist, because they are upstream of the caller. -#}
    {%- if load_relation(weights_relation) is none or load_relation(features_relation) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set number_pattern = '^[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?$' -%}
    {%- set transforms_needing_cap = ['linear_cap', 'log_cap', 'decay'] -%}
    {%- set transforms = transforms_needing_cap + ['binary', 'rate'] -%}
    {%- set dimensions = ['intent', 'engagement', 'fit', 'penalty'] -%}
    {%- set feature_columns = adapter.get_columns_in_relation(features_relation)
        | map(attribute='name') | map('lower') | list -%}
    {%- set rows = run_query(
        'select weight_set, feature, weight, transform, cap, dimension from ' ~ weights_relation
    ) -%}
    {%- set problems = [] -%}
    {%- set seen = {} -%}
    {%- set positive_sums = {} -%}
    {%- for row in rows -%}
        {%- set line = loop.index + 1 -%}
        {%- set where = 'seeds/weights.csv line ' ~ line ~ ' (weight_set=' ~ row['weight_set'] ~ ', feature=' ~ row['feature'] ~ ')' -%}
        {%- set weight_text = (row['weight'] or '') | string | trim -%}
        {%- set cap_text = (row['cap'] or '') | string | trim -%}
        {%- set transform = (row['transform'] or '') | string | trim -%}
        {%- set key = (row['weight_set'] or '') ~ '|' ~ ((row['feature'] or '') | trim | lower) -%}
        {%- if not row['weight_set'] or not row['feature'] -%}
            {%- do problems.append(where ~ ': weight_set and feature must not be empty') -%}
        {%- elif (row['feature'] | trim | lower) not in feature_columns -%}
            {%- do problems.append(where ~ ": feature '" ~ row['feature'] ~ "' is not a column of user_features") -%}
        {%- endif -%}
        {%- if key in seen -%}
            {%- do problems.append(where ~ ': duplicate (weight_set, feature); first defined on line ' ~ seen[key]) -%}
        {%- else -%}
            {%- do seen.update({key: line}) -%}
        {%- endif -%}
        {%- if not modules.re.match(number_pattern, weight_text) -%}
            {%- do problems.append(where ~ ": weight '" ~ weight_text ~ "' is not a number") -%}
        {%- elif weight_text | float > 0 -%}
            {%- do positive_sums.update({row['weight_set']: positive_sums.get(row['weight_set'], 0) + (weight_text | float)}) -%}
        {%- else -%}
            {%- do positive_sums.update({row['weight_set']: positive_sums.get(row['weight_set'], 0)}) -%}
        {%- endif -%}
        {%- if transform not in transforms -%}
            {%- do problems.append(where ~ ": unknown transform '" ~ transform ~ "' (expected one of " ~ transforms | join(', ') ~ ')') -%}
        {%- elif transform in transforms_needing_cap and cap_text == '' -%}
            {%- do problems.append(where ~ ": transform '" ~ transform ~ "' needs a cap") -%}
        {%- endif -%}
        {%- if cap_text != '' and not modules.re.match(number_pattern, cap_text) -%}
            {%- do problems.append(where ~ ": cap '" ~ cap_text ~ "' is not a number") -%}
        {%- elif cap_text != '' and transform in transforms_needing_cap and cap_text | float <= 0 -%}
            {%- do problems.append(where ~ ": cap must be greater than 0, got " ~ cap_text) -%}
        {%- endif -%}
        {%- if row['dimension'] not in dimensions -%}
            {%- do problems.append(where ~ ": unknown dimension '" ~ row['dimension'] ~ "' (expected one of " ~ dimensions | join(', ') ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for weight_set, total in positive_sums.items() if total <= 0 -%}
        {%- do problems.append("seeds/weights.csv weight_set '" ~ weight_set ~ "': its positive weights sum to " ~ total ~ '; at least one weight must be positive') -%}
    {%- endfor -%}
    {%- if var('weight_set') not in positive_sums -%}
        {%- do problems.append("var('weight_set') is '" ~ var('weight_set') ~ "', which seeds/weights.csv does not define (sets: " ~ positive_sums.keys() | list | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            'seeds/weights.csv is invalid (' ~ problems | length ~ ' problem(s)); scores were not rebuilt:\n  - '
            ~ problems | join('\n  - ')
        ) }}
    {%- endif -%}
{% endmacro %}
