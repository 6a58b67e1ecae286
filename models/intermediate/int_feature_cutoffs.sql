-- one row per feature cutoff: the as_of dates features are computed at (as_of, and earlier ones for backtests)
with

events as (
    select * from {{ ref('stg_web__events') }}
),

-- as_of: the var when set, else the latest event in the data (never the clock)
{%- set as_of = checked_as_of() %}
{%- if as_of %}
{#- aggregated like max(event_at), so the anchor is always exactly one row #}
{%- set as_of_expression = "max(cast('" ~ as_of ~ "' as " ~ dbt.type_timestamp() ~ "))" %}
{%- else %}
{%- set as_of_expression = "max(event_at)" %}
{%- endif %}
anchor as (
    select {{ as_of_expression }} as as_of
    from events
),

-- one cutoff per offset in days before as_of
cutoffs as (
    {%- for offset_days in checked_cutoff_offsets() %}
    select
        {{ offset_days }} as offset_days,
        {{ dbt.dateadd('day', -1 * offset_days, 'as_of') }} as as_of
    from anchor
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        offset_days,
        offset_days = 0 as is_current,
        as_of
    from cutoffs
)

select * from final
