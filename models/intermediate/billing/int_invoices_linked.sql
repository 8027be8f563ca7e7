-- Usable invoices: the staged rows (stg_billing__invoices) minus those set aside for
-- their links (int_billing_rejected_rows), so each belongs to a usable customer and is
-- in a known currency; money in the currency's major units
-- (seeds/reference/currencies.csv). A view, like the staging model it filters.
{{ config(materialized='view') }}

with

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

set_aside as (
    select record_id from {{ ref('int_billing_rejected_rows') }}
    where table_name = 'invoice'
),

currencies as (
    select * from {{ ref('currencies') }}
),

usable as (
    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.subscription_id,
        invoices.invoice_status,
        invoices.currency_code,
        cast(
            {{ minor_to_major('invoices.amount_due_minor', 'currencies.minor_unit_exponent') }}
            as {{ dbt.type_numeric() }}
        ) as amount_due,
        cast(
            {{ minor_to_major('invoices.amount_paid_minor', 'currencies.minor_unit_exponent') }}
            as {{ dbt.type_numeric() }}
        ) as amount_paid,
        cast(
            {{ minor_to_major('invoices.amount_remaining_minor', 'currencies.minor_unit_exponent') }}
            as {{ dbt.type_numeric() }}
        ) as amount_remaining,
        invoices.created_at,
        invoices.due_at,
        invoices.paid_at,
        invoices.period_start_at,
        invoices.period_end_at,
        invoices.loaded_at
    from invoices
    left join set_aside
        on invoices.invoice_id = set_aside.record_id
    left join currencies
        on invoices.currency_code = currencies.currency_code
    where set_aside.record_id is null
)

select * from usable
