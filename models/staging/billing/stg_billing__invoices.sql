-- Current invoices that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_billing__invoices excluded. Their
-- links to other tables are checked downstream: read int_invoices_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_billing__invoices') }}
),

usable as (
    select
        invoice_id,
        customer_id,
        subscription_id,
        invoice_status,
        currency_code,
        amount_due_minor,
        amount_paid_minor,
        amount_remaining_minor,
        created_at,
        due_at,
        paid_at,
        period_start_at,
        period_end_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
