-- One row per customer account, product module the account licenses on the day (billing
-- product_id of an active subscription item) and day of the scoring span: the module's
-- seats and ARR (USD), its usage measures, and the account's tier. Measures, as for the
-- account (int_usage_metrics_daily) but counting only events on the module: distinct users
-- in the 30 days ending on the day and in the 30 days before, licensed seat holders among
-- them (still holding their seat at the end of the day), key features of the module used
-- in the last 30 days (int_licensed_modules_daily), and the account's distinct active
-- users (the module's reach). No scoring definition is read here: the product scoring
-- models assign the module's profile (macro product_profiles), so a rescore reuses these
-- rows like the account's indicator values (tag event_history, docs/decisions/0004).
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
    select
        account_id,
        as_of_date,
        customer_tier
    from {{ ref('int_account_days') }}
    where {{ in_measured_days('as_of_date') }}
),

account_usage as (
    select
        account_id,
        as_of_date,
        active_users_30d
    from {{ ref('int_usage_metrics_daily') }}
    where {{ in_measured_days('as_of_date') }}
),

-- A licensed user holds a seat until the day of deactivation (seat_end_date).
activity as (
    {{ module_activity_with_seat_end(
        'module_activity.activity_date >= ' ~ date_literal(activity_span_start_day())
        ~ ' and module_activity.activity_date < ' ~ health_window_end_exclusive()
    ) | indent(4) }}
),

-- The modules licensed on the day, with their seats, ARR and key features, and the
-- account's tier (for the profile rules of the scoring models).
product_days as (
    select
        licensed_modules.account_id,
        licensed_modules.product_id,
        licensed_modules.as_of_date,
        account_days.customer_tier,
        licensed_modules.licensed_seats,
        licensed_modules.arr,
        licensed_modules.key_features_used_30d,
        licensed_modules.key_features_licensed
    from {{ ref('int_licensed_modules_daily') }} as licensed_modules
    inner join account_days
        on licensed_modules.account_id = account_days.account_id
        and licensed_modules.as_of_date = account_days.as_of_date
),

{%- if recompute_scoring_span() %}

account_products as (
    select distinct
        account_id,
        product_id
    from product_days
),

activity_days as (
    {{ day_spine(activity_span_start_day(), health_window()['end']) }}
),

user_deltas as (
    {{ sliding_window_deltas('activity', ['account_id', 'product_id'], 'user_id', 'activity_date', 30, 'is_licensed', 'seat_end_date') }}
),

user_counts as (
    {{ running_counts('account_products', 'activity_days', 'user_deltas', ['account_id', 'product_id'], [('delta', 'active_users_30d'), ('flagged_delta', 'licensed_active_users_30d')]) }}
),

user_trend as (
    select
        account_id,
        product_id,
        as_of_date,
        active_users_30d,
        licensed_active_users_30d,
        lag(active_users_30d, 30) over (
            partition by account_id, product_id order by as_of_date
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
        product_id,
        as_of_date,
        members as active_users_30d,
        flagged_members as licensed_active_users_30d,
        prior_members as active_users_prior_30d
    from (
        {{ trailing_window_counts('activity', ['account_id', 'product_id'], 'user_id', 'activity_date', 30, 'window_days', 'is_licensed', 'seat_end_date') }}
    ) as user_counts
),
{%- endif %}

final as (
    select
        product_days.account_id,
        product_days.product_id,
        product_days.as_of_date,
        product_days.customer_tier,
        product_days.licensed_seats,
        product_days.arr,
        coalesce(user_trend.active_users_30d, 0) as active_users_30d,
        coalesce(user_trend.licensed_active_users_30d, 0) as licensed_active_users_30d,
        coalesce(user_trend.active_users_prior_30d, 0) as active_users_prior_30d,
        product_days.key_features_used_30d,
        product_days.key_features_licensed,
        coalesce(account_usage.active_users_30d, 0) as account_active_users_30d
    from product_days
    left join user_trend
        on product_days.account_id = user_trend.account_id
        and product_days.product_id = user_trend.product_id
        and product_days.as_of_date = user_trend.as_of_date
    left join account_usage
        on product_days.account_id = account_usage.account_id
        and product_days.as_of_date = account_usage.as_of_date
)

select * from final
