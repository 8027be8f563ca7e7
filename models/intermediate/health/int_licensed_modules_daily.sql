-- One row per customer account, product module the account licenses on the day (billing
-- product_id of an active subscription item) and day of the scoring span: the module's
-- seats and ARR (USD), its key features (seed product_features) used in the 30 days ending
-- on the day, and how many key features it has. The one place that finds the licensed
-- modules and counts their key features: int_usage_metrics_daily sums the counts over the
-- account's modules (feature breadth), int_product_usage_daily scores each module.
--
-- Key features are counted like the users of the usage models: running sums of +1/-1
-- changes (sliding_window_deltas) over the span, or, when a run writes the window's days
-- only (recompute_scoring_span false: intraday), directly for those days
-- (trailing_window_counts, docs/decisions/0403).
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
        as_of_date
    from {{ ref('int_account_days') }}
    where {{ in_measured_days('as_of_date') }}
),

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where active_to_date > {{ date_literal(scoring_span_start_day()) }}
        and active_from_date <= {{ health_window_end() }}
),

key_features as (
    select
        product_id,
        feature
    from {{ ref('product_features') }}
    where is_key_feature
),

key_feature_counts as (
    select
        product_id,
        count(*) as key_feature_count
    from key_features
    group by product_id
),

licensed_modules as (
    select
        account_days.account_id,
        items.product_id,
        account_days.as_of_date,
        sum(items.seats) as licensed_seats,
        {{ exact_sum('items.arr_usd') }} as arr
    from account_days
    inner join items
        on account_days.account_id = items.account_id
        and items.active_from_date <= account_days.as_of_date
        and account_days.as_of_date < items.active_to_date
    group by account_days.account_id, items.product_id, account_days.as_of_date
),

feature_usage as (
    select
        feature_usage.account_id,
        feature_usage.product_id,
        feature_usage.feature,
        feature_usage.activity_date
    from {{ ref('int_feature_usage_daily') }} as feature_usage
    inner join key_features
        on feature_usage.product_id = key_features.product_id
        and feature_usage.feature = key_features.feature
    where feature_usage.activity_date >= {{ date_literal(activity_span_start_day()) }}
        and feature_usage.activity_date < {{ health_window_end_exclusive() }}
),

{%- if recompute_scoring_span() %}

account_modules as (
    select distinct
        account_id,
        product_id
    from licensed_modules
),

activity_days as (
    {{ day_spine(activity_span_start_day(), health_window()['end']) }}
),

feature_deltas as (
    {{ sliding_window_deltas('feature_usage', ['account_id', 'product_id'], 'feature', 'activity_date', 30) }}
),

feature_counts as (
    {{ running_counts('account_modules', 'activity_days', 'feature_deltas', ['account_id', 'product_id'], [('delta', 'key_features_used_30d')]) }}
),
{%- else %}

-- The window's days only, counted directly (in_measured_days, macros/health_window.sql).
window_days as (
    {{ day_spine(health_window()['start'], health_window()['end']) }}
),

feature_counts as (
    select
        account_id,
        product_id,
        as_of_date,
        members as key_features_used_30d
    from (
        {{ trailing_window_counts('feature_usage', ['account_id', 'product_id'], 'feature', 'activity_date', 30, 'window_days') }}
    ) as feature_members
),
{%- endif %}

final as (
    select
        licensed_modules.account_id,
        licensed_modules.product_id,
        licensed_modules.as_of_date,
        licensed_modules.licensed_seats,
        licensed_modules.arr,
        coalesce(feature_counts.key_features_used_30d, 0) as key_features_used_30d,
        key_feature_counts.key_feature_count as key_features_licensed
    from licensed_modules
    left join feature_counts
        on licensed_modules.account_id = feature_counts.account_id
        and licensed_modules.product_id = feature_counts.product_id
        and licensed_modules.as_of_date = feature_counts.as_of_date
    left join key_feature_counts
        on licensed_modules.product_id = key_feature_counts.product_id
)

select * from final
