-- One row per account as a node of the enterprise hierarchy, product module, as_of_date
-- and roll-up method, for every module licensed somewhere in the node's subtree on the
-- day: the module's health across the subtree by the marts contract's product roll-up
-- (members: the subtree's accounts whose module health band is good, average or poor;
-- weight 1 or the ARR of the module's seats), its band by the seed hierarchy_band_rules,
-- with the same roll-up macro as accounts (public mart). Incremental over the window vars.
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='as_of_date' if target.type == 'spark' else none,
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily'],
    )
}}

with

rollup_days as (
    select * from {{ ref('int_hierarchy_rollup_days') }}
    where {{ in_health_window('as_of_date') }}
),

closure as (
    select * from {{ ref('int_account_hierarchy_version_closure') }}
),

product_scores as (
    select
        account_id,
        product_id,
        as_of_date,
        cast(health_score as {{ type_double() }}) as health_score,
        health_band,
        cast(coalesce(arr, 0) as {{ type_double() }}) as arr
    from {{ ref('int_product_health_scores') }}
    where {{ in_health_window('as_of_date') }}
),

band_rules as (
    select * from {{ ref('hierarchy_band_rules') }}
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

methods as (
    {{- hierarchy_rollup_methods_query() | indent(4) }}
),

-- Every licensed module-day with the hierarchy version valid on the day.
licensed as (
    select
        rollup_days.hierarchy_version_id,
        product_scores.*
    from product_scores
    inner join rollup_days
        on product_scores.as_of_date = rollup_days.as_of_date
),

subtree_rollups as (
    {{ hierarchy_rollup(
        'closure',
        'licensed',
        measures=['health_score'],
        band_column='health_band',
        bands=['good', 'average', 'poor'],
        member_filter="member_rows.health_band in ('good', 'average', 'poor')",
        group_columns=['as_of_date', 'product_id'],
        join_columns=['hierarchy_version_id'],
        ancestor_column='ancestor_account_id',
        descendant_column='descendant_account_id',
        weights=hierarchy_rollup_weights(),
        weight_name_column='rollup_method',
    ) | indent(4) }}
),

-- A node gets a row for each module licensed by at least one account of its subtree.
node_products as (
    select distinct
        closure.ancestor_account_id as account_id,
        licensed.product_id,
        licensed.as_of_date,
        licensed.hierarchy_version_id
    from licensed
    inner join closure
        on licensed.hierarchy_version_id = closure.hierarchy_version_id
        and licensed.account_id = closure.descendant_account_id
),

nodes as (
    select
        hierarchy_version_id,
        descendant_account_id as account_id,
        root_account_id,
        depth as hierarchy_depth
    from closure
    where ancestor_account_id = root_account_id
),

node_rows as (
    select
        node_products.account_id,
        node_products.product_id,
        node_products.as_of_date,
        methods.rollup_method,
        nodes.root_account_id,
        nodes.hierarchy_depth,
        cast(coalesce(subtree_rollups.member_count, 0) as {{ dbt.type_int() }}) as member_count,
        coalesce(subtree_rollups.total_weight, 0) as total_weight,
        subtree_rollups.good_share,
        subtree_rollups.average_share,
        subtree_rollups.poor_share,
        subtree_rollups.health_score_mean as health_score,
        subtree_rollups.health_score_min as worst_score
    from node_products
    cross join methods
    inner join nodes
        on node_products.hierarchy_version_id = nodes.hierarchy_version_id
        and node_products.account_id = nodes.account_id
    left join subtree_rollups
        on node_products.account_id = subtree_rollups.node_id
        and node_products.product_id = subtree_rollups.product_id
        and node_products.as_of_date = subtree_rollups.as_of_date
        and methods.rollup_method = subtree_rollups.rollup_method
),

rule_slots as (
    {{ hierarchy_band_rule_slots('band_rules') | indent(4) }}
),

final as (
    select
        node_rows.account_id,
        node_rows.product_id,
        node_rows.as_of_date,
        node_rows.rollup_method,
        node_rows.root_account_id,
        cast(node_rows.hierarchy_depth as {{ dbt.type_int() }}) as hierarchy_depth,
        node_rows.member_count,
        node_rows.total_weight,
        node_rows.good_share,
        node_rows.average_share,
        node_rows.poor_share,
        node_rows.health_score,
        node_rows.worst_score,
        {{ hierarchy_band('node_rows', 'rule_slots') | indent(8) }} as health_band,
        definition.definition_version
    from node_rows
    cross join rule_slots
    cross join definition
),

-- Live days (marts contract): when the row was computed and whether its day was still
-- running then; the nightly run's row of a finished day is final.
live_days as (
    select
        final.*,
        {{ health_is_partial_day('final.as_of_date') }} as is_partial_day,
        {{ health_computed_at() }} as computed_at
    from final
)

select * from live_days
