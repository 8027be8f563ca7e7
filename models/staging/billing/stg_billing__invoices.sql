-- Usable, current invoices: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_billing__invoices (see dq_rejected_rows) excluded.
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
        amount_due,
        amount_paid,
        amount_remaining,
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
