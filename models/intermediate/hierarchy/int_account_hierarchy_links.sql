-- One row per usable CRM account: the parent recorded in the CRM, the parent link the
-- roll-ups use, and why the recorded link is ignored where it is (cycle, self_parent,
-- missing_parent). Per the marts contract, every account on a cycle, the self-parent
-- and the orphan become top-level; accounts below them keep their links.
with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

links as (
    {{ hierarchy_links('accounts', 'account_id', 'parent_account_id') | indent(4) }}
),

final as (
    select
        node_id as account_id,
        recorded_parent_id as crm_parent_account_id,
        parent_id as parent_account_id,
        link_issue,
        cycle_path
    from links
)

select * from final
