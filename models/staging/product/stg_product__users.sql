-- Current users that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_product__users excluded. Their links
-- to other tables are checked downstream: read int_product_users_linked
-- (dq_rejected_rows lists every record set aside).
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
