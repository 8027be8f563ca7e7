-- Current meetings that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_crm__meetings excluded. Their links to
-- other tables are checked downstream: read int_meetings_linked (dq_rejected_rows lists
-- every record set aside).
with

source as (
    select * from {{ ref('base_crm__meetings') }}
),

usable as (
    select
        meeting_id,
        account_id,
        contact_id,
        subject,
        meeting_type,
        meeting_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
