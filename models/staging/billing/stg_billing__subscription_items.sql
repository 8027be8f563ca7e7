-- Usable, current subscription items: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_billing__subscription_items (see dq_rejected_rows) excluded.
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
        unit_amount,
        created_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
