-- One row per usable CRM account whose recorded parent link is ignored by the hierarchy
-- roll-ups (current CRM state), with the reason and a readable detail.
with

links as (
    select * from {{ ref('int_account_hierarchy_links') }}
    where link_issue is not null
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

-- Every keyed CRM record, deleted ones included, to say why a parent is missing.
recorded_accounts as (
    select * from {{ ref('base_crm__accounts') }}
    where account_id is not null
),

final as (
    select
        links.account_id,
        accounts.account_name,
        links.crm_parent_account_id as parent_account_id,
        links.link_issue as reason,
        case links.link_issue
            when 'self_parent' then 'the account names itself as its parent'
            when 'cycle' then {{ dbt.concat(["'parent links form a cycle: '", dbt.replace('links.cycle_path', "'>'", "' > '")]) }}
            when 'missing_parent' then
                case
                    when recorded_parents.is_deleted then 'the parent is deleted in the CRM'
                    when recorded_parents.rejection_reason is not null
                        then {{ dbt.concat(["'the parent was set aside by staging ('", 'recorded_parents.rejection_reason', "')'"]) }}
                    else 'the parent does not exist in the CRM'
                end
        end as detail
    from links
    inner join accounts
        on links.account_id = accounts.account_id
    left join recorded_accounts as recorded_parents
        on links.crm_parent_account_id = recorded_parents.account_id
)

select * from final
