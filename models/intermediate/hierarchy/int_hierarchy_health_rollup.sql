-- One row per account as a node of the hierarchy valid on the day, as_of_date of the
-- window and roll-up method: the weighted band shares, weighted mean and minimum of the
-- health scores of the members in the node's subtree (hierarchy_rollup), the weighted
-- means of their relationship and impact dimension scores, and the node's
-- total weight and score score_change_days earlier (by the hierarchy of that day). Nodes
-- without members have member_count 0, total_weight 0 and null shares and scores.
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
    where {{ in_window_or_compared('as_of_date') }}
),

closure as (
    select * from {{ ref('int_account_hierarchy_version_closure') }}
),

members as (
    select * from {{ ref('int_hierarchy_health_members') }}
    where {{ in_scoring_span('as_of_date') }}
),

methods as (
    {{- hierarchy_rollup_methods_query() | indent(4) }}
),

subtree_rollups as (
    {{ hierarchy_rollup(
        'closure',
        'members',
        measures=['health_score', 'dimension_relationship_score', 'dimension_impact_score'],
        band_column='health_band',
        bands=['good', 'average', 'poor'],
        group_columns=['as_of_date'],
        join_columns=['hierarchy_version_id'],
        ancestor_column='ancestor_account_id',
        descendant_column='descendant_account_id',
        weights=hierarchy_rollup_weights(),
        weight_name_column='rollup_method',
    ) | indent(4) }}
),

-- Every account in the day's hierarchy is a node, whether or not it has members.
nodes as (
    select
        hierarchy_version_id,
        descendant_account_id as account_id,
        root_account_id,
        depth as hierarchy_depth
    from closure
    where ancestor_account_id = root_account_id
),

subtree_sizes as (
    select
        hierarchy_version_id,
        ancestor_account_id as account_id,
        count(*) as subtree_account_count
    from closure
    group by hierarchy_version_id, ancestor_account_id
),

node_days as (
    select
        nodes.account_id,
        rollup_days.as_of_date,
        methods.rollup_method,
        rollup_days.hierarchy_version_id,
        rollup_days.hierarchy_source,
        nodes.root_account_id,
        nodes.hierarchy_depth,
        subtree_sizes.subtree_account_count
    from rollup_days
    inner join nodes
        on rollup_days.hierarchy_version_id = nodes.hierarchy_version_id
    inner join subtree_sizes
        on nodes.hierarchy_version_id = subtree_sizes.hierarchy_version_id
        and nodes.account_id = subtree_sizes.account_id
    cross join methods
    where {{ in_health_window('rollup_days.as_of_date') }}
),

final as (
    select
        node_days.account_id,
        node_days.as_of_date,
        node_days.rollup_method,
        node_days.hierarchy_version_id,
        node_days.hierarchy_source,
        node_days.root_account_id,
        cast(node_days.hierarchy_depth as {{ dbt.type_int() }}) as hierarchy_depth,
        cast(node_days.subtree_account_count as {{ dbt.type_int() }}) as subtree_account_count,
        cast(coalesce(current_figures.member_count, 0) as {{ dbt.type_int() }}) as member_count,
        coalesce(current_figures.total_weight, 0) as total_weight,
        current_figures.good_share,
        current_figures.average_share,
        current_figures.poor_share,
        current_figures.health_score_mean as health_score,
        current_figures.health_score_min as worst_score,
        current_figures.dimension_relationship_score_mean as dimension_relationship_score,
        current_figures.dimension_impact_score_mean as dimension_impact_score,
        coalesce(prior_figures.total_weight, 0) as prior_total_weight,
        prior_figures.health_score_mean as prior_health_score
    from node_days
    left join subtree_rollups as current_figures
        on node_days.account_id = current_figures.node_id
        and node_days.as_of_date = current_figures.as_of_date
        and node_days.rollup_method = current_figures.rollup_method
    -- The node's figures score_change_days earlier, by the hierarchy of that day.
    left join subtree_rollups as prior_figures
        on node_days.account_id = prior_figures.node_id
        and node_days.rollup_method = prior_figures.rollup_method
        and prior_figures.as_of_date
        = {{ add_days('node_days.as_of_date', -var('score_change_days', 30)) }}
)

select * from final
