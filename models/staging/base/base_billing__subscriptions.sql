-- The current version of every subscription, with the reason it is set aside.
-- Annual plans are one subscription per contract term (see the staging docs).
with

source as (
    {{ latest_version(source('billing', 'subscription'), 'id') }}
),

customers as (
    select customer_id from {{ ref('stg_billing__customers') }}
),

renamed as (
    select
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
        renamed.*,
        false as is_deleted,
        case
            when renamed.subscription_id is null then 'null_key'
            when customers.customer_id is null then 'orphan_customer'
            when renamed.started_at is null then 'null_timestamp'
            when {{ is_future_timestamp('renamed.started_at', 'renamed.loaded_at') }}
                and renamed.subscription_status not in ('trialing', 'incomplete') then 'future_timestamp'
        end as rejection_reason
    from renamed
    left join customers
        on renamed.customer_id = customers.customer_id
)

select * from checked
