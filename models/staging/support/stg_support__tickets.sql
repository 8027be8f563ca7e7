-- Usable, current tickets: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_support__tickets (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_support__tickets') }}
),

usable as (
    select
        ticket_id,
        organization_id,
        account_id,
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
