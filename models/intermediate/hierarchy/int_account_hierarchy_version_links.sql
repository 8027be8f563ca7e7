-- One row per hierarchy version the run needs (int_account_hierarchy_versions) and CRM
-- account in the hierarchy in that version: the recorded parent, the link used and the
-- link issue, by the same rules as the current int_account_hierarchy_links. A snapshot
-- version holds the accounts whose snapshot row was valid at the end of its first day
-- and not deleted; the current_crm version is int_account_hierarchy_links itself.
with

versions as (
    select * from {{ ref('int_account_hierarchy_versions') }}
),

snapshot as (
    select * from {{ ref('snap_crm__accounts') }}
),

current_links as (
    select * from {{ ref('int_account_hierarchy_links') }}
),

snapshot_accounts as (
    select
        versions.hierarchy_version_id,
        snapshot.account_id,
        snapshot.parent_account_id
    from versions
    inner join snapshot
        on snapshot.dbt_valid_from
        < cast({{ dbt.dateadd('day', 1, 'versions.valid_from_date') }} as {{ dbt.type_timestamp() }})
        and (
            snapshot.dbt_valid_to is null
            or snapshot.dbt_valid_to
            >= cast({{ dbt.dateadd('day', 1, 'versions.valid_from_date') }} as {{ dbt.type_timestamp() }})
        )
    where versions.hierarchy_source = 'snapshot'
        and not snapshot.is_deleted
),

snapshot_links as (
    {{ hierarchy_links('snapshot_accounts', 'account_id', 'parent_account_id', ['hierarchy_version_id']) | indent(4) }}
),

final as (
    select
        hierarchy_version_id,
        node_id as account_id,
        recorded_parent_id as crm_parent_account_id,
        parent_id as parent_account_id,
        link_issue
    from snapshot_links

    union all

    select
        versions.hierarchy_version_id,
        current_links.account_id,
        current_links.crm_parent_account_id,
        current_links.parent_account_id,
        current_links.link_issue
    from versions
    cross join current_links
    where versions.hierarchy_source = 'current_crm'
)

select * from final
