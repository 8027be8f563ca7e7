-- One row per account and outcome date up to the run's end day (var health_end_date):
-- every renewal point (an annual contract term's end, whether the term renewed in place
-- on the same subscription or into a new one, a monthly plan's yearly anniversary, a
-- monthly plan's end) and every mid-term change of ARR, with the
-- account's ARR (USD) just before and just after and the result. The account is the
-- unit: ARR before is the account's ARR on the day before, ARR after on the day itself
-- (or, when it falls to zero, on the first day within outcome_grace_days on which a
-- late renewal brings it back).
with

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where account_id is not null
        and active_from_date < active_to_date
),

-- The account's ARR is a step function: it can only change on a day an item starts or
-- stops counting.
change_points as (
    select
        account_id,
        active_from_date as change_date
    from items
    union
    select
        account_id,
        active_to_date as change_date
    from items
    where active_to_date < cast('9999-12-31' as date)
),

segment_bounds as (
    select
        account_id,
        change_date as valid_from_date,
        coalesce(
            lead(change_date) over (partition by account_id order by change_date),
            cast('9999-12-31' as date)
        ) as valid_to_date
    from change_points
),

-- Half-open segments [valid_from_date, valid_to_date) of constant ARR and seats.
arr_segments as (
    select
        segment_bounds.account_id,
        segment_bounds.valid_from_date,
        segment_bounds.valid_to_date,
        coalesce({{ exact_sum('items.arr_usd') }}, 0) as arr,
        coalesce(sum(items.seats), 0) as seats
    from segment_bounds
    left join items
        on segment_bounds.account_id = items.account_id
        and items.active_from_date <= segment_bounds.valid_from_date
        and segment_bounds.valid_from_date < items.active_to_date
    group by
        segment_bounds.account_id,
        segment_bounds.valid_from_date,
        segment_bounds.valid_to_date
),

subscriptions as (
    select
        account_id,
        subscription_id,
        min(subscription_start_date) as subscription_start_date,
        max(active_to_date) as subscription_end_date,
        max(case when is_annual then 1 else 0 end) = 1 as is_annual
    from items
    group by account_id, subscription_id
),

-- A monthly plan can span several subscriptions: a contraction closes one at a month
-- boundary and the next starts that same day. Consecutive monthly subscriptions (each
-- starting the day the one before ended) form one plan, whose first start anchors the
-- yearly anniversaries.
monthly_links as (
    select
        account_id,
        subscription_id,
        subscription_start_date,
        subscription_end_date,
        case
            when subscription_start_date = lag(subscription_end_date) over (
                partition by account_id order by subscription_start_date, subscription_id
            ) then 0
            else 1
        end as starts_plan
    from subscriptions
    where not is_annual
),

monthly_plans as (
    select
        account_id,
        subscription_id,
        subscription_start_date,
        subscription_end_date,
        sum(starts_plan) over (
            partition by account_id order by subscription_start_date, subscription_id
            rows between unbounded preceding and current row
        ) as plan_number
    from monthly_links
),

monthly_subscriptions as (
    select
        account_id,
        subscription_id,
        subscription_start_date,
        subscription_end_date,
        min(subscription_start_date) over (partition by account_id, plan_number) as plan_start_date
    from monthly_plans
),

year_numbers as (
    select generated_number as year_number
    from ({{ dbt.generate_series(60) }}) as series
),

-- Renewal points, in order of precedence when several fall on one account and day.
term_ends as (
    select
        account_id,
        subscription_id,
        subscription_end_date as outcome_date,
        case when is_annual then 'term_end' else 'subscription_end' end as outcome_kind,
        case when is_annual then 1 else 2 end as kind_priority,
        case when is_annual then 'year' else 'month' end as billing_interval
    from subscriptions
    where subscription_end_date <= {{ health_window_end() }}
),

-- An annual subscription renewed in place (Stripe's default: same subscription id, the
-- period moves forward a year) has a renewal point at every term end inside it.
renewals_in_place as (
    select
        terms.account_id,
        terms.subscription_id,
        terms.term_end_date as outcome_date,
        'term_end' as outcome_kind,
        1 as kind_priority,
        'year' as billing_interval
    from {{ ref('int_subscription_terms') }} as terms
    where terms.term_end_date < terms.subscription_end_date
        and terms.term_end_date <= {{ health_window_end() }}
),

-- A monthly plan renews every month; its yearly anniversaries stand for those renewals
-- (the months in between are aggregated into the anniversary).
anniversaries as (
    select
        monthly_subscriptions.account_id,
        monthly_subscriptions.subscription_id,
        cast({{ dbt.dateadd('year', 'year_numbers.year_number', 'monthly_subscriptions.plan_start_date') }} as date)
            as outcome_date,
        'anniversary' as outcome_kind,
        3 as kind_priority,
        'month' as billing_interval
    from monthly_subscriptions
    cross join year_numbers
    where cast({{ dbt.dateadd('year', 'year_numbers.year_number', 'monthly_subscriptions.plan_start_date') }} as date)
        >= monthly_subscriptions.subscription_start_date
        and cast({{ dbt.dateadd('year', 'year_numbers.year_number', 'monthly_subscriptions.plan_start_date') }} as date)
        < monthly_subscriptions.subscription_end_date
        and cast({{ dbt.dateadd('year', 'year_numbers.year_number', 'monthly_subscriptions.plan_start_date') }} as date)
        <= {{ health_window_end() }}
),

-- Seats bought on a running subscription (an item created after its start).
mid_term_changes as (
    select distinct
        items.account_id,
        items.subscription_id,
        items.active_from_date as outcome_date,
        'mid_term' as outcome_kind,
        4 as kind_priority,
        case when subscriptions.is_annual then 'year' else 'month' end as billing_interval
    from items
    inner join subscriptions
        on items.subscription_id = subscriptions.subscription_id
        and items.account_id = subscriptions.account_id
    where items.active_from_date > items.subscription_start_date
        and items.active_from_date <= {{ health_window_end() }}
),

all_points as (
    select * from term_ends
    union all
    select * from renewals_in_place
    union all
    select * from anniversaries
    union all
    select * from mid_term_changes
),

points as (
    select
        account_id,
        subscription_id,
        outcome_date,
        outcome_kind,
        billing_interval
    from (
        select
            all_points.*,
            row_number() over (
                partition by all_points.account_id, all_points.outcome_date
                order by all_points.kind_priority, all_points.subscription_id
            ) as point_rank
        from all_points
    ) as ranked_points
    where point_rank = 1
),

-- The first day within the grace period on which the ARR comes back after a drop to
-- zero (a renewal signed late).
resumptions as (
    select
        points.account_id,
        points.outcome_date,
        min(arr_segments.valid_from_date) as resumed_date
    from points
    inner join arr_segments
        on points.account_id = arr_segments.account_id
        and arr_segments.valid_from_date > points.outcome_date
        and arr_segments.valid_from_date
        <= {{ add_days('points.outcome_date', var('outcome_grace_days', 30)) }}
        and arr_segments.valid_from_date <= {{ health_window_end() }}
        and arr_segments.arr > 0
    group by points.account_id, points.outcome_date
),

measured as (
    select
        points.account_id,
        points.outcome_date,
        points.outcome_kind,
        points.subscription_id,
        points.billing_interval,
        before_segments.arr as arr_before,
        before_segments.seats as seats_before,
        case
            when on_day_segments.arr > 0 then on_day_segments.arr
            else coalesce(resumed_segments.arr, 0)
        end as arr_after,
        case
            when on_day_segments.arr > 0 then on_day_segments.seats
            else coalesce(resumed_segments.seats, 0)
        end as seats_after,
        case
            when on_day_segments.arr > 0 then 0
            when resumptions.resumed_date is not null
                then {{ dbt.datediff('points.outcome_date', 'resumptions.resumed_date', 'day') }}
        end as renewal_gap_days
    from points
    inner join arr_segments as before_segments
        on points.account_id = before_segments.account_id
        and before_segments.valid_from_date <= {{ add_days('points.outcome_date', -1) }}
        and {{ add_days('points.outcome_date', -1) }} < before_segments.valid_to_date
    left join arr_segments as on_day_segments
        on points.account_id = on_day_segments.account_id
        and on_day_segments.valid_from_date <= points.outcome_date
        and points.outcome_date < on_day_segments.valid_to_date
    left join resumptions
        on points.account_id = resumptions.account_id
        and points.outcome_date = resumptions.outcome_date
    left join arr_segments as resumed_segments
        on resumptions.account_id = resumed_segments.account_id
        and resumptions.resumed_date = resumed_segments.valid_from_date
),

classified as (
    select
        measured.*,
        case
            when measured.arr_after <= 0 then 'churned'
            when measured.arr_after > measured.arr_before + {{ var('outcome_arr_tolerance_usd', 1.0) }} then 'expanded'
            when measured.arr_after < measured.arr_before - {{ var('outcome_arr_tolerance_usd', 1.0) }} then 'contracted'
            else 'renewed'
        end as outcome_result
    from measured
    -- Nothing to renew without ARR before the day.
    where measured.arr_before > 0
),

final as (
    select
        {{ dbt.hash(dbt.concat(['account_id', "'|'", 'cast(outcome_date as ' ~ dbt.type_string() ~ ')'])) }} as outcome_id,
        account_id,
        outcome_date,
        outcome_kind,
        outcome_kind <> 'mid_term' as is_renewal_point,
        billing_interval,
        subscription_id,
        outcome_result,
        cast(arr_before as {{ type_double() }}) as arr_before,
        cast(arr_after as {{ type_double() }}) as arr_after,
        cast(arr_after - arr_before as {{ type_double() }}) as arr_change,
        cast(seats_before as {{ dbt.type_bigint() }}) as seats_before,
        cast(seats_after as {{ dbt.type_bigint() }}) as seats_after,
        cast(
            case when outcome_kind <> 'mid_term' then renewal_gap_days end
            as {{ dbt.type_int() }}
        ) as renewal_gap_days
    from classified
    -- A mid-term item that does not change the ARR (a swap at the same value) is no outcome.
    where outcome_kind <> 'mid_term'
        or outcome_result <> 'renewed'
)

select * from final
