-- One row per account, user and day with at least one usable product event: the
-- incremental pre-aggregate of product.tracks that every usage indicator reads, so
-- that no run rescans the whole event history. Each run (re)computes the days of its
-- health window, plus the look-back days before it that are not aggregated yet.
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
        occurred_date as activity_date
    from {{ ref('int_product_events_linked') }}
    where {{ activity_span_filter('occurred_date') }}
),

users as (
    select
        user_id,
        is_licensed
    from {{ ref('int_product_users_linked') }}
),

daily as (
    select
        events.account_id,
        events.user_id,
        events.activity_date,
        count(*) as event_count
    from events
    group by events.account_id, events.user_id, events.activity_date
),

final as (
    select
        daily.account_id,
        daily.user_id,
        daily.activity_date,
        users.is_licensed,
        daily.event_count
    from daily
    inner join users
        on daily.user_id = users.user_id
)

select * from final
