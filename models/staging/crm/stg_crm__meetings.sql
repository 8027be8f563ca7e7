-- Usable, current meetings: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_crm__meetings (see dq_rejected_rows) excluded.
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
