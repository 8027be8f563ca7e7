-- One row per account and calendar month in which the account had ARR at the month's
-- opening or closing: opening ARR (the closing ARR of the month before), closing ARR
-- (ARR on the month's last day, or on the run's end day for the running month), and
-- the one movement that takes the first to the second (new, reactivation, expansion,
-- contraction, churn, or none). Months: int_arr_months.
with

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where account_id is not null
        and active_from_date < active_to_date
),

first_arr as (
    select
        account_id,
        min(active_from_date) as first_arr_date
    from items
    group by account_id
),

month_ends as (
    select * from {{ ref('int_arr_months') }}
),

closing as (
    select
        items.account_id,
        month_ends.month_start_date,
        {{ exact_sum('items.arr_usd') }} as closing_arr
    from month_ends
    inner join items
        on items.active_from_date <= month_ends.closing_date
        and month_ends.closing_date < items.active_to_date
    group by items.account_id, month_ends.month_start_date
),

-- Every month in which the account had ARR at the opening or the closing.
account_months as (
    select
        account_id,
        month_start_date
    from closing
    union
    select
        closing.account_id,
        month_ends.month_start_date
    from closing
    inner join month_ends
        on month_ends.month_start_date
        = cast({{ dbt.dateadd('month', 1, 'closing.month_start_date') }} as date)
),

balances as (
    select
        account_months.account_id,
        account_months.month_start_date,
        coalesce(prior_closing.closing_arr, 0) as opening_arr,
        coalesce(this_closing.closing_arr, 0) as closing_arr
    from account_months
    left join closing as this_closing
        on account_months.account_id = this_closing.account_id
        and account_months.month_start_date = this_closing.month_start_date
    left join closing as prior_closing
        on account_months.account_id = prior_closing.account_id
        and account_months.month_start_date
        = cast({{ dbt.dateadd('month', 1, 'prior_closing.month_start_date') }} as date)
),

final as (
    select
        balances.account_id,
        balances.month_start_date,
        cast(balances.opening_arr as {{ type_double() }}) as opening_arr,
        cast(balances.closing_arr as {{ type_double() }}) as closing_arr,
        case
            when balances.opening_arr = 0 and balances.closing_arr > 0
                and first_arr.first_arr_date >= balances.month_start_date then 'new'
            when balances.opening_arr = 0 and balances.closing_arr > 0 then 'reactivation'
            when balances.opening_arr > 0 and balances.closing_arr = 0 then 'churn'
            when balances.closing_arr > balances.opening_arr then 'expansion'
            when balances.closing_arr < balances.opening_arr then 'contraction'
            else 'none'
        end as movement_type,
        cast(balances.closing_arr - balances.opening_arr as {{ type_double() }}) as arr_change
    from balances
    inner join first_arr
        on balances.account_id = first_arr.account_id
)

select * from final
