-- Usable, current tracks: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_product__tracks (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_product__tracks') }}
),

usable as (
    select
        event_id,
        user_id,
        account_id,
        event_name,
        feature,
        product_id,
        occurred_at,
        occurred_date,
        received_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
