-- Usable, current organizations: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_support__organizations (see dq_rejected_rows) excluded.
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
