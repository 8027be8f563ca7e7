-- One row per account and product module that the account licenses on the run's end day
-- (var health_end_date) or used in the 90 days up to it: licensed seats, distinct users
-- (all and licensed) with an event on the module's features in the last 30 days, and the
-- features touched and events in the last 90 days. The usage evidence behind
-- fct_expansion_candidates. Events without a product id count for the module owning
-- their feature (seed product_features); session events (no feature) count for none.
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

users as (
    select
        user_id,
        is_licensed
    from {{ ref('int_product_users_linked') }}
),

events as (
    select
        tracks.account_id,
        tracks.user_id,
        tracks.feature,
        tracks.occurred_date,
        coalesce(tracks.product_id, features.product_id) as product_id
    from {{ ref('int_product_events_linked') }} as tracks
    left join features
        on tracks.feature = features.feature
    where tracks.feature is not null
        and tracks.account_id is not null
        and tracks.occurred_date > {{ dbt.dateadd('day', -90, health_window_end()) }}
        and tracks.occurred_date <= {{ health_window_end() }}
),

licenses as (
    select
        account_id,
        product_id,
        sum(seats) as licensed_seats
    from items
    group by account_id, product_id
),

usage_30d as (
    select
        events.account_id,
        events.product_id,
        count(distinct events.user_id) as active_users_30d,
        count(distinct case when users.is_licensed then events.user_id end) as licensed_active_users_30d
    from events
    left join users
        on events.user_id = users.user_id
    where events.occurred_date > {{ dbt.dateadd('day', -30, health_window_end()) }}
    group by events.account_id, events.product_id
),

feature_events as (
    select
        account_id,
        product_id,
        feature,
        count(*) as event_count
    from events
    where product_id is not null
    group by account_id, product_id, feature
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
