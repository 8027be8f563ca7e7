-- Usable contacts: the staged rows (stg_crm__contacts) minus those set aside for their
-- links (int_crm_rejected_rows), so each belongs to a usable account. A view, like the
-- staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

set_aside as (
    select record_id from {{ ref('int_crm_rejected_rows') }}
    where table_name = 'contact'
),

usable as (
    select contacts.*
    from contacts
    left join set_aside
        on contacts.contact_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
