-- Usable product users (seat holders): the staged rows (stg_product__users) minus those
-- set aside for their links (int_product_rejected_rows), so each belongs to a usable
-- CRM account. A view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

users as (
    select * from {{ ref('stg_product__users') }}
),

set_aside as (
    select record_id from {{ ref('int_product_rejected_rows') }}
    where table_name = 'users'
),

usable as (
    select users.*
    from users
    left join set_aside
        on users.user_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
