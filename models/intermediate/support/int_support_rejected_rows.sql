-- One row per support record set aside, with the reason: set aside by staging (a problem
-- within the record, see the base models) or here, where its links to other tables are
-- checked, parents first: an organization whose CRM account is not usable
-- (`orphan_account`; an organization we cannot link cannot carry tickets), a ticket whose
-- organization is not usable (`orphan_organization`). The usable models (int_*_linked)
-- are the staged rows minus these; dq_rejected_rows publishes them.
with

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

-- The staged rows (those of the stg_support__* models): current, not deleted, not set
-- aside by staging. Only their links are left to check.
organizations as (
    select * from {{ ref('base_support__organizations') }}
    where not is_deleted and rejection_reason is null
),

tickets as (
    select * from {{ ref('base_support__tickets') }}
    where not is_deleted and rejection_reason is null
),

set_aside_by_staging as (
    {{ set_aside_by_staging('support') | indent(4) }}
),

-- One CTE per table in the shape of set_aside_by_staging; reason null = usable. A
-- ticket whose organization is set aside is set aside too.
organizations_checked as (
    select
        'organization' as table_name,
        organizations.record_key,
        cast(organizations.organization_id as {{ dbt.type_string() }}) as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        organizations.loaded_at
    from organizations
    left join accounts
        on organizations.account_id = accounts.account_id
),

tickets_checked as (
    select
        'ticket' as table_name,
        tickets.record_key,
        cast(tickets.ticket_id as {{ dbt.type_string() }}) as record_id,
        case
            when organizations_checked.record_id is null or organizations_checked.reason is not null
                then 'orphan_organization'
        end as reason,
        tickets.loaded_at
    from tickets
    left join organizations_checked
        on cast(tickets.organization_id as {{ dbt.type_string() }}) = organizations_checked.record_id
),

unioned as (
    select * from set_aside_by_staging
    union all
    select * from organizations_checked
    where reason is not null
    union all
    select * from tickets_checked
    where reason is not null
),

final as (
    select
        cast('support' as {{ dbt.type_string() }}) as source_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        record_key,
        record_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        loaded_at
    from unioned
)

select * from final
