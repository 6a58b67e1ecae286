{#-
    Vars checked when the model that reads them compiles (those written into SQL text, and
    those that must agree with others): a bad value fails that model with a message naming
    the var, before anything is replaced (the last good build stays).
-#}

{#- Whether a var's value is a whole number (a YAML int, or a float such as 30.0) of at least `minimum`. -#}
{% macro is_whole_number(value, minimum) -%}
    {{ return(value is number and value == value | int and value >= minimum) }}
{%- endmacro %}

{#- var('as_of'): none, or a date / timestamp text (YYYY-MM-DD, optionally with a time). -#}
{% macro checked_as_of() -%}
    {%- set value = var('as_of') -%}
    {%- if value and not modules.re.match('^\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?)?$', value | string) -%}
        {{ exceptions.raise_compiler_error(
            "var('as_of') must be a date like 2026-06-01 (optionally with a time, 2026-06-01 12:00:00), got '"
            ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- var('experiment_name'): letters, digits, '_', '-' and '.', as it is written into the SQL as a literal. -#}
{% macro checked_experiment_name() -%}
    {%- set value = var('experiment_name') | string -%}
    {%- if not modules.re.match('^[A-Za-z0-9_.-]{1,64}$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var('experiment_name') must be 1-64 letters, digits, '_', '-' or '.', got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- var('experiment_treatment_share'): a number strictly between 0 and 1. -#}
{% macro checked_treatment_share() -%}
    {%- set value = var('experiment_treatment_share') -%}
    {%- set number = value | float(-1) -%}
    {%- if not modules.re.match('^\\s*[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?\\s*$', value | string) or not (0 < number < 1) -%}
        {{ exceptions.raise_compiler_error(
            "var('experiment_treatment_share') must be a number between 0 and 1 (exclusive), got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(number) }}
{%- endmacro %}

{#- var('feature_cutoff_offsets_days'): whole days >= 0, with 0 (today's features) and the two
    offsets the ML path labels (ml_train_offset_days, ml_validation_offset_days), which would
    otherwise silently have no rows. -#}
{% macro checked_cutoff_offsets() -%}
    {%- set offsets = var('feature_cutoff_offsets_days') -%}
    {%- set needed = [0, var('ml_train_offset_days'), var('ml_validation_offset_days')] -%}
    {%- set problems = [] -%}
    {%- for offset in offsets if not is_whole_number(offset, 0) -%}
        {%- do problems.append("'" ~ offset ~ "' is not a whole number of days >= 0") -%}
    {%- endfor -%}
    {%- for offset in needed if offset not in offsets -%}
        {%- do problems.append(offset ~ " is missing (needed by " ~ (
            "today's features" if offset == 0 else "ml_train_offset_days / ml_validation_offset_days") ~ ")") -%}
    {%- endfor -%}
    {%- if offsets | unique | list | length != offsets | length -%}
        {%- do problems.append('offsets must not repeat') -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "var('feature_cutoff_offsets_days') = " ~ offsets ~ ": " ~ problems | join('; ')
        ) }}
    {%- endif -%}
    {{ return(offsets) }}
{%- endmacro %}

{#- var('label_horizon_days') against the two labelled cutoffs; returns the horizon. A label window
    must end by the validation cutoff for training rows (else training labels see the validation
    period: the out-of-time check would flatter the model) and by as_of for validation rows (else
    labels read events after as_of, which a back-dated as_of has). -#}
{% macro checked_label_horizon() -%}
    {%- set horizon = var('label_horizon_days') -%}
    {%- set train = var('ml_train_offset_days') -%}
    {%- set validation = var('ml_validation_offset_days') -%}
    {%- set problems = [] -%}
    {%- if not is_whole_number(horizon, 1) -%}
        {%- do problems.append("label_horizon_days must be a whole number of days >= 1, got '" ~ horizon ~ "'") -%}
    {%- elif not (train is number and validation is number and train > validation) -%}
        {%- do problems.append("ml_train_offset_days (" ~ train ~ ") must be greater than ml_validation_offset_days ("
            ~ validation ~ ")") -%}
    {%- else -%}
        {%- if horizon > train - validation -%}
            {%- do problems.append("label_horizon_days (" ~ horizon ~ ") is longer than the gap between the training and "
                ~ "validation cutoffs (" ~ train ~ " - " ~ validation ~ " = " ~ (train - validation)
                ~ " days): training labels would read the validation period") -%}
        {%- endif -%}
        {%- if horizon > validation -%}
            {%- do problems.append("label_horizon_days (" ~ horizon ~ ") is longer than ml_validation_offset_days ("
                ~ validation ~ "): validation labels would read events after as_of") -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("ML label windows: " ~ problems | join('; ')) }}
    {%- endif -%}
    {{ return(horizon) }}
{%- endmacro %}

{#- vars compare_weight_set_a and compare_weight_set_b: weight sets that seeds/weights.csv defines
    (a typo would otherwise join no rows and build the comparison marts empty, their tests passing).
    Read from the validated weights by name when the model runs; nothing to check while compiling
    against a warehouse without them. Returns [set_a, set_b]. -#}
{% macro checked_compare_weight_sets() -%}
    {%- set chosen = [var('compare_weight_set_a') | string, var('compare_weight_set_b') | string] -%}
    {%- if execute -%}
        {%- set relation = validated_weights_relation() -%}
        {%- if relation is not none -%}
            {%- set known = run_query(
                'select distinct weight_set from ' ~ relation ~ ' order by 1').columns[0].values() | list -%}
            {%- for name, value in [('compare_weight_set_a', chosen[0]), ('compare_weight_set_b', chosen[1])]
                if value not in known -%}
                {{ exceptions.raise_compiler_error(
                    "var('" ~ name ~ "') is '" ~ value ~ "', which seeds/weights.csv does not define (sets: "
                    ~ known | join(', ') ~ ')'
                ) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(chosen) }}
{%- endmacro %}

{#- var('experiment_score_strata'): the score quantiles of the strata, a whole number >= 1. -#}
{% macro checked_score_strata() -%}
    {%- set value = var('experiment_score_strata') -%}
    {%- if not is_whole_number(value, 1) -%}
        {{ exceptions.raise_compiler_error(
            "var('experiment_score_strata') must be a whole number >= 1, got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{#- Before an incremental run of experiment_assignments adds users to the kept assignments in
    `relation`, fail (keeping every assignment) when
    - the table has the layout of releases that rebuilt it for one experiment each run (no
      experiment_user_key): dbt's --full-refresh does not apply to it (full_refresh is off), so
      say how to start it afresh;
    - var('experiment_treatment_share') or var('experiment_score_strata') differs from what
      `experiment_name` was assigned with: new users must join at the same share, and a stratum
      name must mean the same score band, or its strata stop being balanced. -#}
{% macro check_kept_assignments(relation, experiment_name, share, score_strata) -%}
    {#- (nothing to check in a unit test, whose `this` is the name of its given rows, or before
        the table exists) -#}
    {%- if execute and relation is not string and load_relation(relation) is not none -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'experiment_user_key' not in columns or 'score_strata' not in columns -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " has the layout of an earlier release; assignments are now kept across builds, and "
                ~ "dbt's --full-refresh does not rebuild them. Drop it once (drop table " ~ relation
                ~ ") and build again"
            ) }}
        {%- endif -%}
        {%- set held = run_query(
            "select distinct treatment_share, score_strata from " ~ relation
            ~ " where experiment_name = '" ~ experiment_name ~ "'"
        ) -%}
        {%- for row in held.rows -%}
            {%- if (row[0] | float - share) | abs > 1e-9 or row[1] | int != score_strata -%}
                {{ exceptions.raise_compiler_error(
                    "experiment '" ~ experiment_name ~ "' was assigned with treatment share " ~ row[0]
                    ~ " and " ~ row[1] ~ " score strata; they cannot change once users are assigned (got "
                    ~ share ~ " and " ~ score_strata ~ "): use a new experiment name for a new split"
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
