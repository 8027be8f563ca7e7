-- The current version of every subscription item (seats of one module), money in major
-- units, with the reason it is set aside.
with

source as (
    {{ latest_version(source('billing', 'subscription_item'), 'id') }}
),

subscriptions as (
    select subscription_id from {{ ref('stg_billing__subscriptions') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as subscription_item_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(price_id as {{ dbt.type_string() }}) as price_id,
        upper(trim(cast(currency as {{ dbt.type_string() }}))) as currency_code,
        lower(trim(cast({{ adapter.quote("interval") }} as {{ dbt.type_string() }}))) as billing_interval,
        cast(quantity as {{ dbt.type_int() }}) as seats,
        cast(unit_amount as {{ dbt.type_bigint() }}) as unit_amount_minor,
        cast(created as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        renamed.subscription_item_id,
        renamed.subscription_id,
        renamed.product_id,
        renamed.price_id,
        renamed.currency_code,
        renamed.billing_interval,
        renamed.seats,
        cast({{ minor_to_major('renamed.unit_amount_minor', 'currencies.minor_unit_exponent') }} as {{ dbt.type_numeric() }})
            as unit_amount,
        false as is_deleted,
        renamed.created_at,
        renamed.loaded_at,
        case
            when renamed.subscription_item_id is null then 'null_key'
            when subscriptions.subscription_id is null then 'orphan_subscription'
            when renamed.seats is null or renamed.seats <= 0 then 'nonpositive_amount'
            when renamed.unit_amount_minor is null or renamed.unit_amount_minor < 0 then 'nonpositive_amount'
            when currencies.currency_code is null then 'unknown_currency'
            when renamed.billing_interval not in ('month', 'year') then 'unknown_interval'
        end as rejection_reason
    from renamed
    left join subscriptions
        on renamed.subscription_id = subscriptions.subscription_id
    left join currencies
        on renamed.currency_code = currencies.currency_code
)

select * from checked
