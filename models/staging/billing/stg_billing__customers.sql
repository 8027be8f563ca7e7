-- Current customers that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_billing__customers excluded. Their
-- links to other tables are checked downstream: read int_billing_customers_linked
-- (dq_rejected_rows lists every record set aside).
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
