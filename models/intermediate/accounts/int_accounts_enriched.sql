-- One row per usable CRM account with its region (from the billing country) and its
-- customer history from billing: first subscription start and whether it ever paid.
with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

country_regions as (
    select * from {{ ref('country_regions') }}
),

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
),

billing_history as (
    select
        account_id,
        min(subscription_start_date) as first_subscription_date
    from items
    group by account_id
),

final as (
    select
        accounts.account_id,
        accounts.parent_account_id,
        accounts.owner_user_id,
        accounts.account_name,
        accounts.account_type,
        accounts.industry,
        country_regions.country_code,
        coalesce(country_regions.region, 'unknown') as region,
        accounts.customer_tier,
        accounts.support_package,
        billing_history.first_subscription_date,
        billing_history.first_subscription_date is not null as has_billing_history,
        accounts.created_at
    from accounts
    left join country_regions
        on accounts.billing_country = country_regions.country_key
    left join billing_history
        on accounts.account_id = billing_history.account_id
)

select * from final
