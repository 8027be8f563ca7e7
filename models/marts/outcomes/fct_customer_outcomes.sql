-- One row per account and outcome date: each renewal point (annual term end, monthly
-- plan anniversary or end) and each mid-term change of ARR up to the run's end day, with
-- its result (renewed, expanded, contracted, churned) and the account's ARR in USD
-- before and after. The classification lives in int_customer_outcomes.
with

outcomes as (
    select * from {{ ref('int_customer_outcomes') }}
),

accounts as (
    select
        account_id,
        customer_tier,
        region
    from {{ ref('int_accounts_enriched') }}
),

final as (
    select
        outcomes.outcome_id,
        outcomes.account_id,
        outcomes.outcome_date,
        outcomes.outcome_kind,
        outcomes.is_renewal_point,
        outcomes.billing_interval,
        outcomes.subscription_id,
        outcomes.outcome_result,
        outcomes.outcome_result = 'churned' as is_churned,
        outcomes.outcome_result = 'contracted' as is_contracted,
        outcomes.outcome_result = 'expanded' as is_expanded,
        outcomes.arr_before,
        outcomes.arr_after,
        outcomes.arr_change,
        outcomes.seats_before,
        outcomes.seats_after,
        outcomes.renewal_gap_days,
        accounts.customer_tier,
        accounts.region
    from outcomes
    left join accounts
        on outcomes.account_id = accounts.account_id
)

select * from final
