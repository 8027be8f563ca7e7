-- Current tracks that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_product__tracks excluded. Their links
-- to other tables are checked downstream: read int_product_events_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_product__tracks') }}
),

usable as (
    select
        event_id,
        user_id,
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
