-- One row per calendar month from the first month with billing data to the month of the
-- run's end day (var health_end_date), with the day whose ARR closes it: the month's
-- last day, or the run's end day for the running month.
with

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where account_id is not null
        and active_from_date < active_to_date
),

month_numbers as (
    -- 1,200 months (100 years) of billing history is more than any book holds.
    select generated_number as month_number
    from ({{ dbt.generate_series(1200) }}) as series
),

first_month as (
    select {{ dbt.date_trunc('month', 'min(active_from_date)') }} as month_start_date
    from items
),

months as (
    select
        cast({{ dbt.dateadd('month', 'month_numbers.month_number - 1', 'first_month.month_start_date') }} as date)
            as month_start_date
    from first_month
    cross join month_numbers
    where {{ dbt.dateadd('month', 'month_numbers.month_number - 1', 'first_month.month_start_date') }}
        <= {{ health_window_end() }}
),

final as (
    select
        month_start_date,
        case
            when cast({{ dbt.last_day('month_start_date', 'month') }} as date) > {{ health_window_end() }}
                then {{ health_window_end() }}
            else cast({{ dbt.last_day('month_start_date', 'month') }} as date)
        end as closing_date,
        cast({{ dbt.last_day('month_start_date', 'month') }} as date) > {{ health_window_end() }}
            as is_partial_month
    from months
)

select * from final
