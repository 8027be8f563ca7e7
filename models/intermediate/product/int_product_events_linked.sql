-- Usable product events: the staged rows (stg_product__tracks) minus those set aside for
-- their links (int_product_rejected_rows), each attributed to its user's CRM account. A
-- view, like the staging model it filters: readers filter on occurred_date, and the
-- filter reaches the stored events.
{{ config(materialized='view') }}

with

events as (
    select * from {{ ref('stg_product__tracks') }}
),

set_aside as (
    select record_id from {{ ref('int_product_rejected_rows') }}
    where table_name = 'tracks'
),

-- The user of a usable event is a usable user (else the event is set aside as
-- unknown_user), so the staged user gives its account.
users as (
    select
        user_id,
        account_id
    from {{ ref('stg_product__users') }}
),

usable as (
    select
        events.event_id,
        events.user_id,
        users.account_id,
        events.event_name,
        events.feature,
        events.product_id,
        events.occurred_at,
        events.occurred_date,
        events.received_at,
        events.loaded_at
    from events
    left join set_aside
        on events.event_id = set_aside.record_id
    left join users
        on events.user_id = users.user_id
    where set_aside.record_id is null
)

select * from usable
