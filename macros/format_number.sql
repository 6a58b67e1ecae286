{#- Text for a number in explanations: whole numbers without decimals, others with one. -#}
{% macro format_number(expression) -%}
    case
        when {{ expression }} is null then 'no'
        when {{ expression }} = {{ round_to(expression, 0) }}
            then cast(cast({{ round_to(expression, 0) }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
        else cast(cast({{ round_to(expression, 1) }} as decimal(18, 1)) as {{ dbt.type_string() }})
    end
{%- endmacro %}

{#- Signed points with one decimal, e.g. +30.0 or -3.0. -#}
{% macro format_points(expression) -%}
    {{ dbt.concat([
        "case when " ~ expression ~ " < 0 then '-' else '+' end",
        "cast(cast(" ~ round_to("abs(" ~ expression ~ ")", 1) ~ " as decimal(18, 1)) as " ~ dbt.type_string() ~ ")",
    ]) }}
{%- endmacro %}

{#- A share as a whole percentage, e.g. 50%. -#}
{% macro format_percent(expression) -%}
    {{ dbt.concat([
        "cast(cast(" ~ round_to("100 * coalesce(" ~ expression ~ ", 0)", 0) ~ " as " ~ dbt.type_bigint() ~ ") as "
        ~ dbt.type_string() ~ ")",
        "'%'",
    ]) }}
{%- endmacro %}

{#- An explanation phrase from a seed reason: {value} becomes the number, {pct} the percentage.
    Each is formatted only for the phrases that hold it (formatting every number twice cost
    about 0.4 s per 7M contributions). -#}
{% macro fill_reason(template, expression) -%}
    case
        when {{ template }} like '%{value}%' and {{ template }} like '%{pct}%'
            then replace(
                replace({{ template }}, '{value}', {{ format_number(expression) }}),
                '{pct}', {{ format_percent(expression) }}
            )
        when {{ template }} like '%{value}%' then replace({{ template }}, '{value}', {{ format_number(expression) }})
        when {{ template }} like '%{pct}%' then replace({{ template }}, '{pct}', {{ format_percent(expression) }})
        else {{ template }}
    end
{%- endmacro %}
