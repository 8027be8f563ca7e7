-- Usable meetings (crm.event): the staged rows (stg_crm__meetings) minus those set aside
-- for their links (int_crm_rejected_rows), so each belongs to a usable account; with the
-- persona of the usable contact met, when there is one (the contact is optional). A
-- view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

meetings as (
    select * from {{ ref('stg_crm__meetings') }}
),

set_aside as (
    select record_id from {{ ref('int_crm_rejected_rows') }}
    where table_name = 'event'
),

contacts as (
    select
        contact_id,
        persona
    from {{ ref('int_contacts_linked') }}
),

usable as (
    select
        meetings.meeting_id,
        meetings.account_id,
        meetings.contact_id,
        contacts.persona as contact_persona,
        meetings.subject,
        meetings.meeting_type,
        meetings.meeting_at,
        meetings.loaded_at
    from meetings
    left join set_aside
        on meetings.meeting_id = set_aside.record_id
    left join contacts
        on meetings.contact_id = contacts.contact_id
    where set_aside.record_id is null
)

select * from usable
