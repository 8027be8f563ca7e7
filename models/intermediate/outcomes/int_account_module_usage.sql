-- One row per account and product module that the account licenses on the run's end day
-- (var health_end_date) or used in the 90 days up to it: licensed seats, distinct users
-- (all and licensed) active on the module in the last 30 days, and the features touched and
-- events in the last 90 days. The usage evidence behind fct_expansion_candidates.
-- Read from the daily pre-aggregates of product events, not from the events: a module's
-- users are counted as product health counts them (int_product_usage_daily: users with an
-- event on the module in int_product_module_activity_daily, events without a product id
-- attributed by their feature; licensed users still holding their seat at the end of the
-- day), and its features from int_feature_usage_daily. Like
-- every usage measure, a day's activity is what its own run aggregated: late events count
-- once a recalculation covers their day (docs/decisions/0012). The pre-aggregates reach 90
-- days back from the first day of a first build (activity_span_start_day) and keep their
-- history afterwards.
with

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where active_from_date <= {{ health_window_end() }}
        and {{ health_window_end() }} < active_to_date
        and account_id is not null
),

features as (
    select
        product_id,
        feature
    from {{ ref('product_features') }}
),

module_activity as (
    {{ module_activity_with_seat_end(
        'module_activity.account_id is not null and module_activity.activity_date > '
        ~ dbt.dateadd('day', -30, health_window_end())
        ~ ' and module_activity.activity_date <= ' ~ health_window_end()
    ) | indent(4) }}
),

feature_events as (
    select
        account_id,
        product_id,
        feature,
        sum(event_count) as event_count
    from {{ ref('int_feature_usage_daily') }}
    where account_id is not null
        and activity_date > {{ dbt.dateadd('day', -90, health_window_end()) }}
        and activity_date <= {{ health_window_end() }}
    group by account_id, product_id, feature
),

licenses as (
    select
        account_id,
        product_id,
        sum(seats) as licensed_seats
    from items
    group by account_id, product_id
),

-- A user holding a paid seat counts as licensed until the seat is freed (seat_end_date),
-- as in int_product_usage_daily (macro flagged_on_day, which trailing_window_counts uses).
usage_30d as (
    select
        account_id,
        product_id,
        count(distinct user_id) as active_users_30d,
        count(distinct case
            when {{ flagged_on_day('is_licensed', 'seat_end_date', health_window_end()) }}
                then user_id
        end) as licensed_active_users_30d
    from module_activity
    group by account_id, product_id
),

usage_90d as (
    select
        account_id,
        product_id,
        count(*) as features_touched_90d,
        sum(event_count) as events_90d,
        {{ ordered_listagg('feature', "', '", 'order by feature') }} as features_touched
    from feature_events
    group by account_id, product_id
),

account_modules as (
    select
        account_id,
        product_id
    from licenses
    union
    select
        account_id,
        product_id
    from usage_90d
),

module_features as (
    select
        product_id,
        count(*) as module_feature_count
    from features
    group by product_id
),

final as (
    select
        account_modules.account_id,
        account_modules.product_id,
        {{ health_window_end() }} as as_of_date,
        licenses.account_id is not null as is_licensed,
        cast(coalesce(licenses.licensed_seats, 0) as {{ dbt.type_bigint() }}) as licensed_seats,
        cast(coalesce(usage_30d.active_users_30d, 0) as {{ dbt.type_bigint() }}) as active_users_30d,
        cast(coalesce(usage_30d.licensed_active_users_30d, 0) as {{ dbt.type_bigint() }})
            as licensed_active_users_30d,
        cast(
            case
                when licenses.licensed_seats > 0
                    then cast(coalesce(usage_30d.licensed_active_users_30d, 0) as {{ type_double() }}) / licenses.licensed_seats
            end
            as {{ type_double() }}
        ) as seat_utilization,
        cast(coalesce(usage_90d.features_touched_90d, 0) as {{ dbt.type_bigint() }}) as features_touched_90d,
        cast(coalesce(module_features.module_feature_count, 0) as {{ dbt.type_bigint() }}) as module_feature_count,
        cast(coalesce(usage_90d.events_90d, 0) as {{ dbt.type_bigint() }}) as events_90d,
        usage_90d.features_touched
    from account_modules
    left join licenses
        on account_modules.account_id = licenses.account_id
        and account_modules.product_id = licenses.product_id
    left join usage_30d
        on account_modules.account_id = usage_30d.account_id
        and account_modules.product_id = usage_30d.product_id
    left join usage_90d
        on account_modules.account_id = usage_90d.account_id
        and account_modules.product_id = usage_90d.product_id
    left join module_features
        on account_modules.product_id = module_features.product_id
    where account_modules.product_id is not null
)

select * from final
