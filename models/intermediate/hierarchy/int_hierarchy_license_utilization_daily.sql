-- One row per account as a node of the current hierarchy and day of the scoring span
-- where its subtree holds licensed seats: license utilization across the whole subtree
-- (an enterprise, a business unit), i.e. licensed active users over licensed seats of
-- all its accounts together. A second use of the generic hierarchy_rollup macro: the
-- seat-weighted mean of the accounts' utilization equals that ratio. A view: nothing is
-- stored until someone queries it.
{{ config(materialized='view') }}

with

usage as (
    select * from {{ ref('int_usage_metrics_daily') }}
    where licensed_seats > 0
),

closure as (
    select * from {{ ref('int_account_hierarchy_closure') }}
),

subtree_usage as (
    {{ hierarchy_rollup(
        'closure',
        'usage',
        weight_expression='licensed_seats',
        measures=[{'name': 'license_utilization', 'expression': 'cast(licensed_active_users_30d as ' ~ type_double() ~ ') / licensed_seats'}],
        group_columns=['as_of_date'],
        ancestor_column='ancestor_account_id',
        descendant_column='descendant_account_id',
    ) | indent(4) }}
),

final as (
    select
        node_id as account_id,
        as_of_date,
        member_count as licensed_account_count,
        total_weight as licensed_seats,
        license_utilization_mean as license_utilization,
        license_utilization_min as lowest_license_utilization,
        license_utilization_max as highest_license_utilization
    from subtree_usage
)

select * from final
