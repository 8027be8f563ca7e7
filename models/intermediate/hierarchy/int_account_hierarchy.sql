-- One row per usable CRM account with its place in the current enterprise hierarchy:
-- the parent link used for roll-ups, its root (ultimate parent), depth and path from the
-- root, and the size of its subtree. dim_account reads these columns.
with

links as (
    select * from {{ ref('int_account_hierarchy_links') }}
),

closure as (
    select * from {{ ref('int_account_hierarchy_closure') }}
),

-- The row from the root down to the account carries its depth and full path.
root_paths as (
    select
        descendant_account_id as account_id,
        root_account_id,
        depth as hierarchy_depth,
        path as hierarchy_path
    from closure
    where ancestor_account_id = root_account_id
),

subtrees as (
    select
        ancestor_account_id as account_id,
        count(*) as subtree_account_count,
        sum(case when depth = 1 then 1 else 0 end) as child_count
    from closure
    group by ancestor_account_id
),

final as (
    select
        links.account_id,
        links.parent_account_id,
        links.crm_parent_account_id,
        links.link_issue,
        root_paths.root_account_id,
        root_paths.hierarchy_depth,
        root_paths.hierarchy_path,
        cast(subtrees.child_count as {{ dbt.type_int() }}) as child_count,
        cast(subtrees.subtree_account_count as {{ dbt.type_int() }}) as subtree_account_count
    from links
    left join root_paths
        on links.account_id = root_paths.account_id
    left join subtrees
        on links.account_id = subtrees.account_id
)

select * from final
