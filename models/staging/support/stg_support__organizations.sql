-- Current organizations that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_support__organizations excluded. Their
-- links to other tables are checked downstream: read int_support_organizations_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_support__organizations') }}
),

usable as (
    select
        organization_id,
        account_id,
        organization_name,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
