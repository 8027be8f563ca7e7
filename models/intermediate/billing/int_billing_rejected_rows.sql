-- One row per billing record set aside, with the reason: set aside by staging (a problem
-- within the record, see the base models) or here, where its links to other tables are
-- checked, parents first: a customer whose CRM account is not usable (`orphan_account`),
-- a subscription or invoice whose customer is not usable (`orphan_customer`), an item
-- whose subscription is not usable (`orphan_subscription`), an item or invoice in a
-- currency without an exchange rate (`unknown_currency`). The usable models
-- (int_*_linked) are the staged rows minus these; dq_rejected_rows publishes them.
with

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

currencies as (
    select currency_code from {{ ref('currencies') }}
),

-- The staged rows (those of the stg_billing__* models): current, not deleted, not set
-- aside by staging. Only their links are left to check.
customers as (
    select * from {{ ref('base_billing__customers') }}
    where not is_deleted and rejection_reason is null
),

subscriptions as (
    select * from {{ ref('base_billing__subscriptions') }}
    where not is_deleted and rejection_reason is null
),

subscription_items as (
    select * from {{ ref('base_billing__subscription_items') }}
    where not is_deleted and rejection_reason is null
),

invoices as (
    select * from {{ ref('base_billing__invoices') }}
    where not is_deleted and rejection_reason is null
),

set_aside_by_staging as (
    {{ set_aside_by_staging('billing') | indent(4) }}
),

-- One CTE per table in the shape of set_aside_by_staging; reason null = usable. A
-- record whose parent is set aside is set aside too.
customers_checked as (
    select
        'customer' as table_name,
        customers.record_key,
        customers.customer_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        customers.loaded_at
    from customers
    left join accounts
        on customers.account_id = accounts.account_id
),

subscriptions_checked as (
    select
        'subscription' as table_name,
        subscriptions.record_key,
        subscriptions.subscription_id as record_id,
        case
            when customers_checked.record_id is null or customers_checked.reason is not null
                then 'orphan_customer'
        end as reason,
        subscriptions.loaded_at
    from subscriptions
    left join customers_checked
        on subscriptions.customer_id = customers_checked.record_id
),

subscription_items_checked as (
    select
        'subscription_item' as table_name,
        subscription_items.record_key,
        subscription_items.subscription_item_id as record_id,
        case
            when subscriptions_checked.record_id is null or subscriptions_checked.reason is not null
                then 'orphan_subscription'
            when currencies.currency_code is null then 'unknown_currency'
        end as reason,
        subscription_items.loaded_at
    from subscription_items
    left join subscriptions_checked
        on subscription_items.subscription_id = subscriptions_checked.record_id
    left join currencies
        on subscription_items.currency_code = currencies.currency_code
),

invoices_checked as (
    select
        'invoice' as table_name,
        invoices.record_key,
        invoices.invoice_id as record_id,
        case
            when customers_checked.record_id is null or customers_checked.reason is not null
                then 'orphan_customer'
            when currencies.currency_code is null then 'unknown_currency'
        end as reason,
        invoices.loaded_at
    from invoices
    left join customers_checked
        on invoices.customer_id = customers_checked.record_id
    left join currencies
        on invoices.currency_code = currencies.currency_code
),

unioned as (
    select * from set_aside_by_staging
    union all
    select * from customers_checked
    where reason is not null
    union all
    select * from subscriptions_checked
    where reason is not null
    union all
    select * from subscription_items_checked
    where reason is not null
    union all
    select * from invoices_checked
    where reason is not null
),

final as (
    select
        cast('billing' as {{ dbt.type_string() }}) as source_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        record_key,
        record_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        loaded_at
    from unioned
)

select * from final
