-- The current version of every subscription item (seats of one module), money in the
-- currency's minor units as landed, with the reason it is set aside when the record
-- itself is unusable. Its subscription and its currency are checked, and the money
-- converted to major units, in the intermediate layer (int_billing_rejected_rows,
-- int_subscription_items_linked), where the other tables are at hand.
with

source as (
    {{ latest_version(source('billing', 'subscription_item'), 'id') }}
),

renamed as (
    select
        record_key,
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
        *,
        false as is_deleted,
        case
            when subscription_item_id is null then 'null_key'
            -- The module an item licenses (part of the product health grain; not nullable
            -- in the raw contract).
            when product_id is null then 'missing_product_id'
            when seats is null or seats <= 0 then 'nonpositive_amount'
            when unit_amount_minor is null or unit_amount_minor < 0 then 'nonpositive_amount'
            when billing_interval not in ('month', 'year') then 'unknown_interval'
        end as rejection_reason
    from renamed
)

select * from checked
