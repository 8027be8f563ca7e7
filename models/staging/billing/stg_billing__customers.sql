-- Usable, current customers: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_billing__customers (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_billing__customers') }}
),

usable as (
    select
        customer_id,
        account_id,
        customer_name,
        email,
        currency_code,
        is_delinquent,
        created_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
