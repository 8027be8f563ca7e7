-- Usable, current subscriptions: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_billing__subscriptions (see dq_rejected_rows) excluded.
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
