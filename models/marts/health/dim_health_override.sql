-- One row per usable CSM health override (raw crm.health_override__c; none when the
-- optional table is absent): the account, the band and score the CSM set, the reason in
-- the CSM's words, the author (a CRM user id) and the days it applies. Overrides set
-- aside are in dq_rejected_rows; soft-deleted ones are gone. fct_account_health_daily
-- names the override that applies on each day (override_id).
with

health_overrides as (
    select * from {{ ref('int_health_overrides_linked') }}
),

final as (
    select
        override_id,
        account_id,
        health_band,
        health_score,
        override_reason,
        created_by_user_id,
        start_date,
        end_date,
        effective_end_date,
        is_open_ended,
        loaded_at
    from health_overrides
)

select * from final
