-- One row per CRM record set aside, with the reason: set aside by staging (a problem
-- within the record, see the base models) or here, where its link to another table is
-- checked: a contact, opportunity, meeting, success goal or health override whose
-- account is not a usable account (unknown, deleted or set aside) is an `orphan_account`. The usable models (int_*_linked) are the staged rows
-- minus these; dq_rejected_rows publishes them.
with

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

-- The staged rows (those of the stg_crm__* models): current, not deleted, not set aside
-- by staging. Only their link to the account is left to check.
contacts as (
    select * from {{ ref('base_crm__contacts') }}
    where not is_deleted and rejection_reason is null
),

opportunities as (
    select * from {{ ref('base_crm__opportunities') }}
    where not is_deleted and rejection_reason is null
),

meetings as (
    select * from {{ ref('base_crm__meetings') }}
    where not is_deleted and rejection_reason is null
),

success_goals as (
    select * from {{ ref('base_crm__success_goals') }}
    where not is_deleted and rejection_reason is null
),

health_overrides as (
    select * from {{ ref('base_crm__health_overrides') }}
    where not is_deleted and rejection_reason is null
),

set_aside_by_staging as (
    {{ set_aside_by_staging('crm') | indent(4) }}
),

-- One CTE per table in the shape of set_aside_by_staging; reason null = usable.
contacts_checked as (
    select
        'contact' as table_name,
        contacts.record_key,
        contacts.contact_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        contacts.loaded_at
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id
),

opportunities_checked as (
    select
        'opportunity' as table_name,
        opportunities.record_key,
        opportunities.opportunity_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        opportunities.loaded_at
    from opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
),

meetings_checked as (
    select
        'event' as table_name,
        meetings.record_key,
        meetings.meeting_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        meetings.loaded_at
    from meetings
    left join accounts
        on meetings.account_id = accounts.account_id
),

success_goals_checked as (
    select
        'success_goal' as table_name,
        success_goals.record_key,
        success_goals.success_goal_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        success_goals.loaded_at
    from success_goals
    left join accounts
        on success_goals.account_id = accounts.account_id
),

health_overrides_checked as (
    select
        'health_override__c' as table_name,
        health_overrides.record_key,
        health_overrides.override_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        health_overrides.loaded_at
    from health_overrides
    left join accounts
        on health_overrides.account_id = accounts.account_id
),

unioned as (
    select * from set_aside_by_staging
    union all
    select * from contacts_checked
    where reason is not null
    union all
    select * from opportunities_checked
    where reason is not null
    union all
    select * from meetings_checked
    where reason is not null
    union all
    select * from success_goals_checked
    where reason is not null
    union all
    select * from health_overrides_checked
    where reason is not null
),

final as (
    select
        cast('crm' as {{ dbt.type_string() }}) as source_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        record_key,
        record_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        loaded_at
    from unioned
)

select * from final
