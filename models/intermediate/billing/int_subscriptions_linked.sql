-- Usable subscriptions: the staged rows (stg_billing__subscriptions) minus those set aside
-- for their links (int_billing_rejected_rows), so each belongs to a usable customer.
-- A view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

set_aside as (
    select record_id from {{ ref('int_billing_rejected_rows') }}
    where table_name = 'subscription'
),

usable as (
    select subscriptions.*
    from subscriptions
    left join set_aside
        on subscriptions.subscription_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
