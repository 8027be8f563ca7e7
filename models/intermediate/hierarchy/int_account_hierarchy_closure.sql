-- One row per pair of usable CRM accounts where the first is the second or one of its
-- ancestors in the current hierarchy (the links of int_account_hierarchy_links): the
-- closure table the roll-ups join on. Recursive CTE by default; var
-- hierarchy_closure_method = 'unrolled' builds the same rows by self-joins.
with

links as (
    select * from {{ ref('int_account_hierarchy_links') }}
),

closure as (
    {{ hierarchy_closure_by_method('links', 'account_id', 'parent_account_id') | indent(4) }}
),

final as (
    select
        ancestor_id as ancestor_account_id,
        descendant_id as descendant_account_id,
        depth,
        path,
        root_id as root_account_id
    from closure
)

select * from final
