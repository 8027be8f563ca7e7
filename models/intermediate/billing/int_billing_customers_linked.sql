-- Usable billing customers: the staged rows (stg_billing__customers) minus those set aside
-- for their links (int_billing_rejected_rows), so each is linked to a usable CRM account.
-- A view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

set_aside as (
    select record_id from {{ ref('int_billing_rejected_rows') }}
    where table_name = 'customer'
),

usable as (
    select customers.*
    from customers
    left join set_aside
        on customers.customer_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
