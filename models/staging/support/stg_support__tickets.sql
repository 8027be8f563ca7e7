-- Current tickets that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_support__tickets excluded. Their links
-- to other tables are checked downstream: read int_support_tickets_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_support__tickets') }}
),

usable as (
    select
        ticket_id,
        organization_id,
        requester_email,
        ticket_priority,
        ticket_status,
        ticket_type,
        satisfaction_rating,
        created_at,
        solved_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
