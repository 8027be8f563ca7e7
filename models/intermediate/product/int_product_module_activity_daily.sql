-- One row per account, product module, user and day with at least one usable product
-- event on the module: the incremental pre-aggregate behind product-level health (same
-- window rule as int_product_activity_daily). Events without a product id are
-- attributed to the module that owns their feature (seed product_features); events with
-- neither (session starts) belong to no module.
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
        user_id,
        product_id,
        feature,
        occurred_date as activity_date
    from {{ ref('int_product_events_linked') }}
    where {{ activity_span_filter('occurred_date') }}
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

attributed as (
    select
        events.account_id,
        events.user_id,
        coalesce(events.product_id, features.product_id) as product_id,
        events.activity_date
    from events
    left join features
        on events.feature = features.feature
),

final as (
    select
        attributed.account_id,
        attributed.product_id,
        attributed.user_id,
        attributed.activity_date,
        users.is_licensed,
        count(*) as event_count
    from attributed
    inner join users
        on attributed.user_id = users.user_id
    where attributed.product_id is not null
    group by
        attributed.account_id,
        attributed.product_id,
        attributed.user_id,
        attributed.activity_date,
        users.is_licensed
)

select * from final
