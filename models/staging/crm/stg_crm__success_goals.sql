-- Current success goals that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_crm__success_goals excluded. Their
-- links to other tables are checked downstream: read int_success_goals_linked
-- (dq_rejected_rows lists every record set aside).
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
