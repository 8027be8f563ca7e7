-- Usable, current success goals: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_crm__success_goals (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_crm__success_goals') }}
),

usable as (
    select
        success_goal_id,
        account_id,
        goal_name,
        goal_status,
        is_validated_by_customer,
        target_date,
        achieved_date,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
