-- The current version of every invoice, money in major units, with the reason it is
-- set aside.
with

source as (
    {{ latest_version(source('billing', 'invoice'), 'id') }}
),

customers as (
    select customer_id from {{ ref('stg_billing__customers') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

renamed as (
    select
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
        renamed.invoice_id,
        renamed.customer_id,
        renamed.subscription_id,
        renamed.invoice_status,
        renamed.currency_code,
        cast({{ minor_to_major('renamed.amount_due_minor', 'currencies.minor_unit_exponent') }} as {{ dbt.type_numeric() }})
            as amount_due,
        cast({{ minor_to_major('renamed.amount_paid_minor', 'currencies.minor_unit_exponent') }} as {{ dbt.type_numeric() }})
            as amount_paid,
        cast({{ minor_to_major('renamed.amount_remaining_minor', 'currencies.minor_unit_exponent') }} as {{ dbt.type_numeric() }})
            as amount_remaining,
        false as is_deleted,
        renamed.created_at,
        renamed.due_at,
        renamed.paid_at,
        renamed.period_start_at,
        renamed.period_end_at,
        renamed.loaded_at,
        case
            when renamed.invoice_id is null then 'null_key'
            when customers.customer_id is null then 'orphan_customer'
            when renamed.amount_due_minor is null or renamed.amount_due_minor < 0 then 'nonpositive_amount'
            when currencies.currency_code is null then 'unknown_currency'
            when renamed.created_at is null then 'null_timestamp'
            when {{ is_future_timestamp('renamed.created_at', 'renamed.loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from renamed
    left join customers
        on renamed.customer_id = customers.customer_id
    left join currencies
        on renamed.currency_code = currencies.currency_code
)

select * from checked
