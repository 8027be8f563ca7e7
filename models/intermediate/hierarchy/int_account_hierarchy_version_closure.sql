-- One row per hierarchy version the run needs and pair of accounts where the first is
-- the second or one of its ancestors in that version: the point-in-time closure the
-- daily roll-ups join on (one closure per distinct version, not per day). The
-- current_crm version reuses int_account_hierarchy_closure.
with

versions as (
    select * from {{ ref('int_account_hierarchy_versions') }}
),

version_links as (
    select * from {{ ref('int_account_hierarchy_version_links') }}
    where hierarchy_version_id <> 'current_crm'
),

current_closure as (
    select * from {{ ref('int_account_hierarchy_closure') }}
),

snapshot_closure as (
    {{ hierarchy_closure_by_method('version_links', 'account_id', 'parent_account_id', ['hierarchy_version_id']) | indent(4) }}
),

final as (
    select
        hierarchy_version_id,
        ancestor_id as ancestor_account_id,
        descendant_id as descendant_account_id,
        depth,
        path,
        root_id as root_account_id
    from snapshot_closure

    union all

    select
        versions.hierarchy_version_id,
        current_closure.ancestor_account_id,
        current_closure.descendant_account_id,
        current_closure.depth,
        current_closure.path,
        current_closure.root_account_id
    from versions
    cross join current_closure
    where versions.hierarchy_source = 'current_crm'
)

select * from final
