-- Current subscriptions that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_billing__subscriptions excluded. Their
-- links to other tables are checked downstream: read int_subscriptions_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_billing__subscriptions') }}
),

usable as (
    select
        subscription_id,
        customer_id,
        subscription_status,
        is_cancel_at_period_end,
        created_at,
        started_at,
        current_period_start_at,
        current_period_end_at,
        canceled_at,
        ended_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
