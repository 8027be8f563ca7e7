-- One row per subscription item (seats of one module on one subscription) with the CRM
-- account it belongs to, the days it is active (half-open: active_from_date <= day <
-- active_to_date) and its annual recurring revenue in USD. An annual subscription may hold
-- one contract term or many (renewed in place); its terms are int_subscription_terms.
with

items as (
    select * from {{ ref('int_subscription_items_linked') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions_linked') }}
),

customers as (
    select * from {{ ref('int_billing_customers_linked') }}
),

joined as (
    select
        items.subscription_item_id,
        items.subscription_id,
        customers.customer_id,
        customers.account_id,
        items.product_id,
        items.billing_interval,
        items.seats,
        items.unit_amount,
        items.currency_code,
        subscriptions.subscription_status,
        cast(subscriptions.started_at as date) as subscription_start_date,
        -- The latest known period end: the anchor of the contract terms (a renewal in place
        -- moves it forward a year; it is never read as "the" renewal date of an earlier day).
        cast(subscriptions.current_period_end_at as date) as current_period_end_date,
        -- When the subscription stopped, as Stripe records it: ended_at; a `canceled` row
        -- without it ended at its period end (cancel_at_period_end) or when canceled.
        cast(
            coalesce(
                subscriptions.ended_at,
                case
                    when subscriptions.subscription_status = 'canceled' and subscriptions.is_cancel_at_period_end
                        then subscriptions.current_period_end_at
                    when subscriptions.subscription_status = 'canceled'
                        then coalesce(subscriptions.canceled_at, subscriptions.current_period_end_at)
                end
            )
            as date
        ) as subscription_end_date,
        cast(items.created_at as date) as item_created_date,
        items.usd_per_unit
    from items
    inner join subscriptions
        on items.subscription_id = subscriptions.subscription_id
    inner join customers
        on subscriptions.customer_id = customers.customer_id
    -- Subscriptions that never became billable carry no seats.
    where subscriptions.subscription_status not in ('incomplete', 'incomplete_expired')
),

final as (
    select
        subscription_item_id,
        subscription_id,
        customer_id,
        account_id,
        product_id,
        billing_interval,
        billing_interval = 'year' as is_annual,
        seats,
        unit_amount,
        currency_code,
        subscription_status,
        subscription_start_date,
        current_period_end_date,
        case
            when item_created_date > subscription_start_date then item_created_date
            else subscription_start_date
        end as active_from_date,
        coalesce(subscription_end_date, cast('9999-12-31' as date)) as active_to_date,
        cast(
            seats * unit_amount * case when billing_interval = 'month' then 12 else 1 end * usd_per_unit
            as {{ type_double() }}
        ) as arr_usd
    from joined
)

select * from final
