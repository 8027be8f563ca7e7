-- Usable, current accounts: the latest version of each record, soft-deleted records
-- excluded, rows set aside by base_crm__accounts (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_crm__accounts') }}
),

usable as (
    select
        account_id,
        parent_account_id,
        owner_user_id,
        account_name,
        account_type,
        industry,
        billing_country,
        customer_tier,
        support_package,
        created_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
