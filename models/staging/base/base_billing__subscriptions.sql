-- The current version of every subscription, with the reason it is set aside when the
-- record itself is unusable (its customer is checked in int_billing_rejected_rows).
-- Annual plans are one subscription per contract term (see the staging docs).
with

source as (
    {{ latest_version(source('billing', 'subscription'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as subscription_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as subscription_status,
        coalesce(cast(cancel_at_period_end as boolean), false) as is_cancel_at_period_end,
        cast(created as {{ dbt.type_timestamp() }}) as created_at,
        cast(start_date as {{ dbt.type_timestamp() }}) as started_at,
        cast(current_period_start as {{ dbt.type_timestamp() }}) as current_period_start_at,
        cast(current_period_end as {{ dbt.type_timestamp() }}) as current_period_end_at,
        cast(canceled_at as {{ dbt.type_timestamp() }}) as canceled_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        false as is_deleted,
        case
            when subscription_id is null then 'null_key'
            when started_at is null then 'null_timestamp'
            when {{ is_future_timestamp('started_at', 'loaded_at') }}
                and subscription_status not in ('trialing', 'incomplete') then 'future_timestamp'
        end as rejection_reason
    from renamed
)

select * from checked
