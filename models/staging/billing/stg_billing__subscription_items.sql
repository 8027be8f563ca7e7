-- Current subscription items that are usable as records: the latest version of each
-- record, soft-deleted records and rows set aside by base_billing__subscription_items
-- excluded. Their links to other tables are checked downstream: read
-- int_subscription_items_linked (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_billing__subscription_items') }}
),

usable as (
    select
        subscription_item_id,
        subscription_id,
        product_id,
        price_id,
        currency_code,
        billing_interval,
        seats,
        unit_amount_minor,
        created_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
