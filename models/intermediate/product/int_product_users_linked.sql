-- Usable product users (seat holders): the staged rows (stg_product__users) whose CRM
-- account is usable (stg_crm__accounts). The same rule int_product_rejected_rows applies
-- to set the others aside (`orphan_account`), written as a join so that the daily and
-- intraday runs do not wait for the set-aside table, which reads the whole event history
-- (docs/decisions/0010); row_conservation proves the two split the raw keys. A view,
-- like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

users as (
    select * from {{ ref('stg_product__users') }}
),

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

usable as (
    select users.*
    from users
    inner join accounts
        on users.account_id = accounts.account_id
)

select * from usable
