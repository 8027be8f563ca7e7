-- One row per CRM account (current state; deleted and set-aside accounts excluded): its
-- own attributes, its place in the enterprise hierarchy (the links used for roll-ups),
-- its root (ultimate parent) attributes, and its latest health context. Personal data
-- never reaches this model.
with

accounts as (
    select * from {{ ref('int_accounts_enriched') }}
),

hierarchy as (
    select * from {{ ref('int_account_hierarchy') }}
),

health as (
    select * from {{ ref('fct_account_health_daily') }}
),

latest_day as (
    select max(as_of_date) as as_of_date from health
),

latest_health as (
    select health.*
    from health
    inner join latest_day
        on health.as_of_date = latest_day.as_of_date
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        hierarchy.parent_account_id,
        hierarchy.root_account_id,
        hierarchy.hierarchy_depth,
        hierarchy.hierarchy_path,
        accounts.account_type,
        accounts.industry,
        accounts.country_code,
        accounts.customer_tier,
        accounts.region,
        accounts.support_package,
        accounts.owner_user_id,
        case
            when latest_health.account_id is not null then latest_health.lifecycle_stage
            when accounts.has_billing_history then 'churned'
            else 'prospect'
        end as lifecycle_stage,
        latest_health.health_profile_id,
        latest_health.health_score,
        latest_health.health_band,
        coalesce(latest_health.arr, 0) as arr,
        latest_health.account_id is not null as is_customer,
        accounts.first_subscription_date,
        latest_health.as_of_date as health_as_of_date,
        roots.account_name as root_account_name,
        roots.customer_tier as root_customer_tier,
        roots.region as root_region,
        roots.industry as root_industry,
        roots.owner_user_id as root_owner_user_id,
        accounts.created_at
    from accounts
    left join hierarchy
        on accounts.account_id = hierarchy.account_id
    left join accounts as roots
        on hierarchy.root_account_id = roots.account_id
    left join latest_health
        on accounts.account_id = latest_health.account_id
)

select * from final
