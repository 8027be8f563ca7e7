-- Usable subscription items: the staged rows (stg_billing__subscription_items) minus
-- those set aside for their links (int_billing_rejected_rows), so each belongs to a
-- usable subscription and is priced in a known currency: money in the currency's major
-- units, with the currency's USD rate (seeds/reference/currencies.csv). A view, like the
-- staging model it filters.
{{ config(materialized='view') }}

with

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

set_aside as (
    select record_id from {{ ref('int_billing_rejected_rows') }}
    where table_name = 'subscription_item'
),

currencies as (
    select * from {{ ref('currencies') }}
),

usable as (
    select
        subscription_items.subscription_item_id,
        subscription_items.subscription_id,
        subscription_items.product_id,
        subscription_items.price_id,
        subscription_items.currency_code,
        subscription_items.billing_interval,
        subscription_items.seats,
        cast(
            {{ minor_to_major('subscription_items.unit_amount_minor', 'currencies.minor_unit_exponent') }}
            as {{ dbt.type_numeric() }}
        ) as unit_amount,
        currencies.usd_per_unit,
        subscription_items.created_at,
        subscription_items.loaded_at
    from subscription_items
    left join set_aside
        on subscription_items.subscription_item_id = set_aside.record_id
    left join currencies
        on subscription_items.currency_code = currencies.currency_code
    where set_aside.record_id is null
)

select * from usable
