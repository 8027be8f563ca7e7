-- One row per calendar month, from the first month with billing data to the month of
-- the run's end day: opening ARR, the ARR movements of the month by type (new,
-- reactivation, expansion, contraction, churn) and closing ARR, in USD, with the
-- number of accounts behind each. Reconciles by construction: opening ARR + the
-- movements = closing ARR, and a month's opening is the month before's closing.
with

months as (
    select * from {{ ref('int_arr_months') }}
),

account_months as (
    select * from {{ ref('int_account_arr_monthly') }}
),

monthly_totals as (
    select
        month_start_date,
        {{ exact_sum('opening_arr') }} as opening_arr,
        {{ exact_sum("case when movement_type = 'new' then arr_change else 0 end") }} as new_arr,
        {{ exact_sum("case when movement_type = 'reactivation' then arr_change else 0 end") }} as reactivation_arr,
        {{ exact_sum("case when movement_type = 'expansion' then arr_change else 0 end") }} as expansion_arr,
        {{ exact_sum("case when movement_type = 'contraction' then arr_change else 0 end") }} as contraction_arr,
        {{ exact_sum("case when movement_type = 'churn' then arr_change else 0 end") }} as churned_arr,
        {{ exact_sum('closing_arr') }} as closing_arr,
        sum(case when opening_arr > 0 then 1 else 0 end) as opening_accounts,
        sum(case when movement_type = 'new' then 1 else 0 end) as new_accounts,
        sum(case when movement_type = 'reactivation' then 1 else 0 end) as reactivated_accounts,
        sum(case when movement_type = 'expansion' then 1 else 0 end) as expanded_accounts,
        sum(case when movement_type = 'contraction' then 1 else 0 end) as contracted_accounts,
        sum(case when movement_type = 'churn' then 1 else 0 end) as churned_accounts,
        sum(case when closing_arr > 0 then 1 else 0 end) as closing_accounts
    from account_months
    group by month_start_date
),

final as (
    select
        months.month_start_date,
        months.closing_date,
        months.is_partial_month,
        cast(coalesce(monthly_totals.opening_arr, 0) as {{ type_double() }}) as opening_arr,
        cast(coalesce(monthly_totals.new_arr, 0) as {{ type_double() }}) as new_arr,
        cast(coalesce(monthly_totals.reactivation_arr, 0) as {{ type_double() }}) as reactivation_arr,
        cast(coalesce(monthly_totals.expansion_arr, 0) as {{ type_double() }}) as expansion_arr,
        cast(coalesce(monthly_totals.contraction_arr, 0) as {{ type_double() }}) as contraction_arr,
        cast(coalesce(monthly_totals.churned_arr, 0) as {{ type_double() }}) as churned_arr,
        cast(
            coalesce(monthly_totals.new_arr, 0) + coalesce(monthly_totals.reactivation_arr, 0)
            + coalesce(monthly_totals.expansion_arr, 0) + coalesce(monthly_totals.contraction_arr, 0)
            + coalesce(monthly_totals.churned_arr, 0)
            as {{ type_double() }}
        ) as net_new_arr,
        cast(coalesce(monthly_totals.closing_arr, 0) as {{ type_double() }}) as closing_arr,
        cast(
            coalesce(lag(monthly_totals.closing_arr) over (order by months.month_start_date), 0)
            as {{ type_double() }}
        ) as prior_closing_arr,
        cast(coalesce(monthly_totals.opening_accounts, 0) as {{ dbt.type_int() }}) as opening_accounts,
        cast(coalesce(monthly_totals.new_accounts, 0) as {{ dbt.type_int() }}) as new_accounts,
        cast(coalesce(monthly_totals.reactivated_accounts, 0) as {{ dbt.type_int() }}) as reactivated_accounts,
        cast(coalesce(monthly_totals.expanded_accounts, 0) as {{ dbt.type_int() }}) as expanded_accounts,
        cast(coalesce(monthly_totals.contracted_accounts, 0) as {{ dbt.type_int() }}) as contracted_accounts,
        cast(coalesce(monthly_totals.churned_accounts, 0) as {{ dbt.type_int() }}) as churned_accounts,
        cast(coalesce(monthly_totals.closing_accounts, 0) as {{ dbt.type_int() }}) as closing_accounts
    from months
    left join monthly_totals
        on months.month_start_date = monthly_totals.month_start_date
)

select * from final
