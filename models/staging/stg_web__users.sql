-- one row per user: the latest-loaded profile, typed and renamed
with

users as (
    select * from {{ source('web', 'users') }}
),

-- a user loaded twice keeps the latest-loaded profile
ranked as (
    select
        *,
        row_number() over (
            partition by user_id order by loaded_at desc nulls last, username asc nulls last
        ) as load_rank
    from users
    where user_id is not null
),

final as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        username,
        company,
        job_title,
        country,
        city,
        timezone,
        lower(primary_device) as primary_device,
        coalesce({{ dbt.safe_cast('account_balance_usd', type_double()) }}, 0) as account_balance_usd,
        coalesce({{ dbt.safe_cast('recent_pages_viewed', dbt.type_int()) }}, 0) as recent_pages_viewed,
        coalesce({{ dbt.safe_cast('recent_pricing_views', dbt.type_int()) }}, 0) as recent_pricing_views,
        {{ dbt.safe_cast('created_at', dbt.type_timestamp()) }} as created_at,
        {{ dbt.safe_cast('loaded_at', dbt.type_timestamp()) }} as loaded_at
    from ranked
    where load_rank = 1
)

select * from final
