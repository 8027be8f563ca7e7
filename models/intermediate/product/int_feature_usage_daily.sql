-- One row per account, product module, feature and day with at least one usable
-- product event on that feature of that module: the incremental pre-aggregate behind feature_breadth
-- (same window rule as int_product_activity_daily).
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='activity_date' if target.type == 'spark' else none,
        event_time='activity_date',
        on_schema_change='fail',
        tags=['daily', 'event_history'],
    )
}}

with

events as (
    select
        account_id,
        product_id,
        feature,
        occurred_date as activity_date
    from {{ ref('int_product_events_linked') }}
    where feature is not null
        and {{ activity_span_filter('occurred_date') }}
),

features as (
    select
        product_id,
        feature
    from {{ ref('product_features') }}
),

final as (
    -- Events without a product id are attributed to the module that owns the feature; an
    -- event whose module is still unknown (a feature no seed row lists) counts for none,
    -- as in int_product_module_activity_daily.
    select
        events.account_id,
        coalesce(events.product_id, features.product_id) as product_id,
        events.feature,
        events.activity_date,
        count(*) as event_count
    from events
    left join features
        on events.feature = features.feature
    where coalesce(events.product_id, features.product_id) is not null
    group by
        events.account_id,
        coalesce(events.product_id, features.product_id),
        events.feature,
        events.activity_date
)

select * from final
