-- One row per customer account and day of the scoring span with its product-usage
-- measures: distinct active users (all / licensed seat holders at the end of the day) in
-- the 30 days ending on the day and in the 30 days before, and key features used in the
-- last 30 days out of the key features of the modules licensed on the day (summed over
-- the modules of int_licensed_modules_daily).
--
-- Distinct counts over sliding windows are computed without a range join: a user active
-- on day a counts for the windows ending on a .. a+29, so each active day opens an
-- interval [a, min(a+30, next active day)) and a running sum of +1/-1 changes gives
-- the number of distinct users on every day. A run that writes
-- the window's days only (recompute_scoring_span false: intraday) counts them directly
-- for those days instead (trailing_window_counts, docs/decisions/0403).
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='as_of_date' if target.type == 'spark' else none,
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily', 'event_history'],
    )
}}

with

account_days as (
    select * from {{ ref('int_account_days') }}
    where {{ in_measured_days('as_of_date') }}
),

-- A licensed user holds a seat until the day of deactivation (seat_end_date): from that
-- day on the seat is free and the user no longer counts as a licensed active user.
seat_holders as (
    select
        user_id,
        cast(deactivated_at as date) as seat_end_date
    from {{ ref('int_product_users_linked') }}
),

activity as (
    select
        product_activity.account_id,
        product_activity.user_id,
        product_activity.activity_date,
        product_activity.is_licensed,
        seat_holders.seat_end_date
    from {{ ref('int_product_activity_daily') }} as product_activity
    left join seat_holders
        on product_activity.user_id = seat_holders.user_id
    where product_activity.activity_date >= {{ date_literal(activity_span_start_day()) }}
        and product_activity.activity_date < {{ health_window_end_exclusive() }}
),

{%- if recompute_scoring_span() %}

activity_days as (
    {{ day_spine(activity_span_start_day(), health_window()['end']) }}
),

scored_accounts as (
    select distinct account_id from account_days
),

user_deltas as (
    {{ sliding_window_deltas('activity', ['account_id'], 'user_id', 'activity_date', 30, 'is_licensed', 'seat_end_date') }}
),

user_counts as (
    {{ running_counts('scored_accounts', 'activity_days', 'user_deltas', ['account_id'], [('delta', 'active_users_30d'), ('flagged_delta', 'licensed_active_users_30d')]) }}
),

user_trend as (
    select
        account_id,
        as_of_date,
        active_users_30d,
        licensed_active_users_30d,
        lag(active_users_30d, 30) over (
            partition by account_id order by as_of_date
        ) as active_users_prior_30d
    from user_counts
),
{%- else %}

-- The window's days only, counted directly (in_measured_days, macros/health_window.sql).
window_days as (
    {{ day_spine(health_window()['start'], health_window()['end']) }}
),

user_trend as (
    select
        account_id,
        as_of_date,
        members as active_users_30d,
        flagged_members as licensed_active_users_30d,
        prior_members as active_users_prior_30d
    from (
        {{ trailing_window_counts('activity', ['account_id'], 'user_id', 'activity_date', 30, 'window_days', 'is_licensed', 'seat_end_date') }}
    ) as user_counts
),
{%- endif %}

-- Feature breadth: the key features used and licensed, over the modules licensed on the day.
breadth as (
    select
        account_id,
        as_of_date,
        sum(key_features_used_30d) as key_features_used_30d,
        sum(key_features_licensed) as key_features_licensed
    from {{ ref('int_licensed_modules_daily') }}
    where {{ in_measured_days('as_of_date') }}
    group by account_id, as_of_date
),

final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        account_days.licensed_seats,
        coalesce(user_trend.active_users_30d, 0) as active_users_30d,
        coalesce(user_trend.licensed_active_users_30d, 0) as licensed_active_users_30d,
        coalesce(user_trend.active_users_prior_30d, 0) as active_users_prior_30d,
        coalesce(breadth.key_features_used_30d, 0) as key_features_used_30d,
        breadth.key_features_licensed
    from account_days
    left join user_trend
        on account_days.account_id = user_trend.account_id
        and account_days.as_of_date = user_trend.as_of_date
    left join breadth
        on account_days.account_id = breadth.account_id
        and account_days.as_of_date = breadth.as_of_date
)

select * from final
