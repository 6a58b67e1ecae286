{#-
    Map a raw feature value to 0..1 with the seed's transform and cap only, never
    with batch statistics, so a user's score does not move when others are added.
      binary      value > 0
      linear_cap  min(value, cap) / cap
      log_cap     ln(1 + min(value, cap)) / ln(1 + cap)
      rate        value, already a share in 0..1 (clamped)
      decay       exp(-ln2 * value / cap), for "days since" features: 1 now, 0.5 after cap days
    A null value (no activity) normalizes to 0. Negative values count as 0.
-#}
{% macro normalize_feature(value, transform, cap) -%}
    case
        when {{ value }} is null then 0.0
        when {{ transform }} = 'binary' then case when {{ value }} > 0 then 1.0 else 0.0 end
        when {{ transform }} = 'linear_cap' then
            case when {{ value }} <= 0 then 0.0
                when {{ value }} >= {{ cap }} then 1.0
                else {{ value }} / {{ cap }} end
        when {{ transform }} = 'log_cap' then
            case when {{ value }} <= 0 then 0.0
                when {{ value }} >= {{ cap }} then 1.0
                else ln(1 + {{ value }}) / ln(1 + {{ cap }}) end
        when {{ transform }} = 'rate' then
            case when {{ value }} <= 0 then 0.0
                when {{ value }} >= 1 then 1.0
                else {{ value }} end
        when {{ transform }} = 'decay' then
            case when {{ value }} <= 0 then 1.0
                else exp(-0.6931471805599453 * {{ value }} / {{ cap }}) end
    end
{%- endmacro %}
