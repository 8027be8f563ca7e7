-- Usable, current contacts: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_crm__contacts (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_crm__contacts') }}
),

usable as (
    select
        contact_id,
        account_id,
        first_name,
        last_name,
        email,
        title,
        persona,
        created_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
