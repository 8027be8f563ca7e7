-- Usable meetings (crm.event): the staged rows (stg_crm__meetings) minus those set aside for their
-- links (int_crm_rejected_rows), so each belongs to a usable account. A view, like the
-- staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

meetings as (
    select * from {{ ref('stg_crm__meetings') }}
),

set_aside as (
    select record_id from {{ ref('int_crm_rejected_rows') }}
    where table_name = 'event'
),

usable as (
    select meetings.*
    from meetings
    left join set_aside
        on meetings.meeting_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
