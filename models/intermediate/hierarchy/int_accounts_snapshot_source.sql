-- One row per CRM account with a key: its latest version (re-deliveries collapsed by
-- base_crm__accounts), soft-deleted accounts included with is_deleted. The
-- de-duplicated input of the snapshot snap_crm__accounts (ephemeral: never stored).
{{ config(materialized='ephemeral') }}

with

accounts as (
    select * from {{ ref('base_crm__accounts') }}
),

final as (
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
        is_deleted,
        created_at,
        loaded_at
    from accounts
    where rejection_reason is null
)

select * from final
