-- Usable, current users: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_product__users (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_product__users') }}
),

usable as (
    select
        user_id,
        account_id,
        email,
        user_role,
        is_licensed,
        created_at,
        deactivated_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
