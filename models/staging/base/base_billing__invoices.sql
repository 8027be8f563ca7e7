-- The current version of every invoice, money in the currency's minor units as landed,
-- with the reason it is set aside when the record itself is unusable. Its customer and
-- its currency are checked, and the money converted to major units, in the intermediate
-- layer (int_billing_rejected_rows, int_invoices_linked).
with

source as (
    {{ latest_version(source('billing', 'invoice'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as invoice_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as invoice_status,
        upper(trim(cast(currency as {{ dbt.type_string() }}))) as currency_code,
        cast(amount_due as {{ dbt.type_bigint() }}) as amount_due_minor,
        cast(amount_paid as {{ dbt.type_bigint() }}) as amount_paid_minor,
        cast(amount_remaining as {{ dbt.type_bigint() }}) as amount_remaining_minor,
        cast(created as {{ dbt.type_timestamp() }}) as created_at,
        cast(due_date as {{ dbt.type_timestamp() }}) as due_at,
        cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start_at,
        cast(period_end as {{ dbt.type_timestamp() }}) as period_end_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        false as is_deleted,
        case
            when invoice_id is null then 'null_key'
            when amount_due_minor is null or amount_due_minor < 0 then 'nonpositive_amount'
            when created_at is null then 'null_timestamp'
            when {{ is_future_timestamp('created_at', 'loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from renamed
)

select * from checked
