-- Current contacts that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_crm__contacts excluded. Their links to
-- other tables are checked downstream: read int_contacts_linked (dq_rejected_rows lists
-- every record set aside).
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
