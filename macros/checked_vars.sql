{#-
    Vars checked when the model that reads them compiles (those written into SQL text, and
    those that must agree with others): a bad value fails that model with a message naming
    the var, before anything is replaced (the last good build stays).
-#}

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
    {%- for offset in offsets if not (offset is number and offset == offset | int and offset >= 0) -%}
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
