-- Usable CSM health overrides: the staged rows (stg_crm__health_overrides) minus those set
-- aside for their links (int_crm_rejected_rows), so each belongs to a usable account;
-- with the last day it applies: its end date, or for an open-ended override the last of
-- the var override_open_end_days days from its start (the cap of the marts contract). A
-- view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

health_overrides as (
    select * from {{ ref('stg_crm__health_overrides') }}
),

set_aside as (
    select record_id from {{ ref('int_crm_rejected_rows') }}
    where table_name = 'health_override__c'
),

usable as (
    select health_overrides.*
    from health_overrides
    left join set_aside
        on health_overrides.override_id = set_aside.record_id
    where set_aside.record_id is null
),

final as (
    select
        *,
        end_date is null as is_open_ended,
        coalesce(
            end_date,
            {{ add_days('start_date', safe_int_var('override_open_end_days', 90, 1, 3660) - 1) }}
        ) as effective_end_date
    from usable
)

select * from final
