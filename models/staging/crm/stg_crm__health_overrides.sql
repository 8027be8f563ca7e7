-- Current CSM health overrides that are usable as records: the latest version of each
-- record, soft-deleted records and rows set aside by base_crm__health_overrides excluded.
-- Their account is checked downstream: read int_health_overrides_linked.
with

source as (
    select * from {{ ref('base_crm__health_overrides') }}
),

usable as (
    select
        override_id,
        account_id,
        created_by_user_id,
        health_band,
        override_reason,
        health_score,
        start_date,
        end_date,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
