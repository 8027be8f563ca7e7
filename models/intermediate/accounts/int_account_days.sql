-- One row per customer account and day of the scoring span (the run's window plus the
-- 30 days before it): every account with at least one active subscription item on the
-- day, with its seats, ARR (USD), lifecycle stage and the health profile assigned by
-- the rules in health_profile_rules. With recompute_scoring_span false (intraday runs,
-- one-day nightly runs: decisions 0400 and 0012) only the days its readers read: the
-- window's and the compared days (in_scoring_span), not the days between. A row depends
-- on its own day only, so those days' rows are the same as in a run over the span.
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='as_of_date' if target.type == 'spark' else none,
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily'],
    )
}}

with

days as (
    select span.as_of_date
    from ({{ day_spine(scoring_span_start_day(), health_window()['end']) }}) as span
    where {{ in_scoring_span('span.as_of_date') }}
),

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where active_to_date > {{ date_literal(scoring_span_start_day()) }}
        and active_from_date <= {{ health_window_end() }}
),

-- Annual contract terms: the renewal date of a day is the end of the term running on it,
-- from the term structure alone (never from a later cancellation or renewal).
terms as (
    select
        subscription_id,
        term_start_date,
        term_end_date
    from {{ ref('int_subscription_terms') }}
    where term_end_date > {{ date_literal(scoring_span_start_day()) }}
        and term_start_date <= {{ health_window_end() }}
),

accounts as (
    select * from {{ ref('int_accounts_enriched') }}
),

rules as (
    select * from {{ ref('health_profile_rules') }}
),

default_profile as (
    select profile_id
    from {{ ref('health_profiles') }}
    where is_default
),

item_days as (
    select
        items.account_id,
        items.subscription_id,
        days.as_of_date,
        items.seats,
        items.arr_usd
    from days
    inner join items
        on items.active_from_date <= days.as_of_date
        and days.as_of_date < items.active_to_date
),

account_days as (
    select
        account_id,
        as_of_date,
        sum(seats) as licensed_seats,
        {{ exact_sum('arr_usd') }} as arr
    from item_days
    group by account_id, as_of_date
),

renewal_dates as (
    select
        item_days.account_id,
        item_days.as_of_date,
        min(terms.term_end_date) as next_renewal_date
    from item_days
    inner join terms
        on item_days.subscription_id = terms.subscription_id
        and terms.term_start_date <= item_days.as_of_date
        and item_days.as_of_date < terms.term_end_date
    group by item_days.account_id, item_days.as_of_date
),

staged as (
    select
        account_days.account_id,
        account_days.as_of_date,
        account_days.licensed_seats,
        account_days.arr,
        renewal_dates.next_renewal_date,
        accounts.first_subscription_date,
        accounts.customer_tier,
        accounts.support_package,
        accounts.region,
        case
            when account_days.as_of_date
                < {{ add_days('accounts.first_subscription_date', var('onboarding_days')) }}
                then 'onboarding'
            when renewal_dates.next_renewal_date
                <= {{ add_days('account_days.as_of_date', var('renewal_window_days')) }}
                then 'renewal'
            else 'established'
        end as lifecycle_stage
    from account_days
    inner join accounts
        on account_days.account_id = accounts.account_id
    left join renewal_dates
        on account_days.account_id = renewal_dates.account_id
        and account_days.as_of_date = renewal_dates.as_of_date
),

matched_rules as (
    select
        staged.account_id,
        staged.as_of_date,
        rules.profile_id,
        row_number() over (
            partition by staged.account_id, staged.as_of_date
            order by rules.priority
        ) as match_rank
    from staged
    inner join rules
        on (rules.customer_tier = '*' or rules.customer_tier = staged.customer_tier)
        and (rules.lifecycle_stage = '*' or rules.lifecycle_stage = staged.lifecycle_stage)
        and (rules.support_package = '*' or rules.support_package = staged.support_package)
        and (rules.region = '*' or rules.region = staged.region)
),

final as (
    select
        staged.account_id,
        staged.as_of_date,
        staged.licensed_seats,
        staged.arr,
        staged.next_renewal_date,
        staged.first_subscription_date,
        staged.customer_tier,
        staged.support_package,
        staged.region,
        staged.lifecycle_stage,
        coalesce(matched_rules.profile_id, default_profile.profile_id) as health_profile_id
    from staged
    left join matched_rules
        on staged.account_id = matched_rules.account_id
        and staged.as_of_date = matched_rules.as_of_date
        and matched_rules.match_rank = 1
    cross join default_profile
)

select * from final
