-- Usable product events: the staged rows (stg_product__tracks) whose user is usable
-- (int_product_users_linked), each attributed to that user's CRM account. The same rule
-- int_product_rejected_rows applies to set the others aside (`unknown_user`), written as
-- a join so that the daily and intraday runs do not wait for the set-aside table, which
-- reads the whole event history (docs/decisions/0010); row_conservation proves the two
-- split the raw keys. A view, like the staging model it filters: readers filter on
-- occurred_date, and the filter reaches the stored events.
{{ config(materialized='view') }}

with

events as (
    select * from {{ ref('stg_product__tracks') }}
),

users as (
    select
        user_id,
        account_id
    from {{ ref('int_product_users_linked') }}
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
    inner join users
        on events.user_id = users.user_id
)

select * from usable
