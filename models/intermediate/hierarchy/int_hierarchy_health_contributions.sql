-- One row per account as a node, as_of_date of the window and roll-up method where the
-- node has a score both on the day and score_change_days before: the (up to) three
-- members that moved the node's score most, with their part of the change and their own
-- scores on both days (wide: member_account_id_1 .. _3, ...).
--
-- A member's part is its weight share times its distance from the node's earlier score,
-- now minus before: w_now / W_now x (s_now - S_before) - w_before / W_before x
-- (s_before - S_before). Summed over the members of either day it is exactly the node's
-- change; a member whose score and share stay put counts 0, and one that joins above the
-- earlier score, or leaves below it, raises the node. Parts under half a point are left
-- out, as in the account mart.
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

rollups as (
    select * from {{ ref('int_hierarchy_health_rollup') }}
    where {{ in_health_window('as_of_date') }}
),

members as (
    select * from {{ ref('int_hierarchy_health_members') }}
    where {{ in_scoring_span('as_of_date') }}
),

closure as (
    select * from {{ ref('int_account_hierarchy_version_closure') }}
),

rollup_days as (
    select * from {{ ref('int_hierarchy_rollup_days') }}
    where {{ in_window_or_compared('as_of_date') }}
),

-- Node-days whose change can be split: a score on both days.
changed_nodes as (
    select
        account_id,
        as_of_date,
        rollup_method,
        total_weight,
        prior_total_weight,
        prior_health_score
    from rollups
    where total_weight > 0
        and prior_total_weight > 0
),

-- Each window day with the hierarchy versions of it and of the day it is compared with.
compared_days as (
    select
        current_days.as_of_date,
        current_days.hierarchy_version_id,
        prior_days.hierarchy_version_id as prior_hierarchy_version_id
    from rollup_days as current_days
    inner join rollup_days as prior_days
        on prior_days.as_of_date
        = {{ add_days('current_days.as_of_date', -var('score_change_days', 30)) }}
    where {{ in_health_window('current_days.as_of_date') }}
),

version_pairs as (
    select distinct
        hierarchy_version_id,
        prior_hierarchy_version_id
    from compared_days
),

-- For a re-org between the two days: every (ancestor, descendant) of either version,
-- with the day(s) on which the descendant is below the ancestor.
reorganised_closure_rows as (
    select
        version_pairs.hierarchy_version_id,
        version_pairs.prior_hierarchy_version_id,
        closure.ancestor_account_id,
        closure.descendant_account_id,
        1 as is_below_now,
        0 as is_below_before
    from version_pairs
    inner join closure
        on version_pairs.hierarchy_version_id = closure.hierarchy_version_id
    where version_pairs.hierarchy_version_id <> version_pairs.prior_hierarchy_version_id

    union all

    select
        version_pairs.hierarchy_version_id,
        version_pairs.prior_hierarchy_version_id,
        closure.ancestor_account_id,
        closure.descendant_account_id,
        0 as is_below_now,
        1 as is_below_before
    from version_pairs
    inner join closure
        on version_pairs.prior_hierarchy_version_id = closure.hierarchy_version_id
    where version_pairs.hierarchy_version_id <> version_pairs.prior_hierarchy_version_id
),

-- Without a re-org in between (the usual case) that is the closure itself.
pair_closure as (
    select
        version_pairs.hierarchy_version_id,
        version_pairs.prior_hierarchy_version_id,
        closure.ancestor_account_id,
        closure.descendant_account_id,
        1 as is_below_now,
        1 as is_below_before
    from version_pairs
    inner join closure
        on version_pairs.hierarchy_version_id = closure.hierarchy_version_id
    where version_pairs.hierarchy_version_id = version_pairs.prior_hierarchy_version_id

    union all

    select
        hierarchy_version_id,
        prior_hierarchy_version_id,
        ancestor_account_id,
        descendant_account_id,
        max(is_below_now) as is_below_now,
        max(is_below_before) as is_below_before
    from reorganised_closure_rows
    group by hierarchy_version_id, prior_hierarchy_version_id, ancestor_account_id, descendant_account_id
),

-- One row per member (of either day) and window day: ARR and score now and
-- score_change_days before.
member_days as (
    select
        account_id,
        as_of_date,
        arr as arr_now,
        health_score as score_now,
        cast(null as {{ type_double() }}) as arr_before,
        cast(null as {{ type_double() }}) as score_before
    from members
    where as_of_date >= {{ health_window_start() }}

    union all

    select
        account_id,
        {{ add_days('as_of_date', var('score_change_days', 30)) }} as as_of_date,
        cast(null as {{ type_double() }}) as arr_now,
        cast(null as {{ type_double() }}) as score_now,
        arr as arr_before,
        health_score as score_before
    from members
    where as_of_date
        <= {{ date_literal(health_window()['end'] - modules.datetime.timedelta(days=var('score_change_days', 30))) }}
),

member_changes as (
    select
        account_id as member_account_id,
        as_of_date,
        max(arr_now) as arr_now,
        max(score_now) as score_now,
        max(arr_before) as arr_before,
        max(score_before) as score_before
    from member_days
    group by account_id, as_of_date
),

-- The member below each node on either day (one join for both methods), then its part
-- by method; the weights are those of hierarchy_rollup_weights().
member_contributions as (
    select
        changed_nodes.account_id,
        member_changes.as_of_date,
        changed_nodes.rollup_method,
        member_changes.member_account_id,
        case when pair_closure.is_below_now = 1 then member_changes.score_now end as score_now,
        case when pair_closure.is_below_before = 1 then member_changes.score_before end as score_before,
        coalesce(
            case when pair_closure.is_below_now = 1 then
                case when changed_nodes.rollup_method = 'contract_value' then member_changes.arr_now else 1 end
                * (member_changes.score_now - changed_nodes.prior_health_score)
                / changed_nodes.total_weight
            end, 0)
        - coalesce(
            case when pair_closure.is_below_before = 1 then
                case when changed_nodes.rollup_method = 'contract_value' then member_changes.arr_before else 1 end
                * (member_changes.score_before - changed_nodes.prior_health_score)
                / changed_nodes.prior_total_weight
            end, 0) as contribution
    from member_changes
    inner join compared_days
        on member_changes.as_of_date = compared_days.as_of_date
    inner join pair_closure
        on member_changes.member_account_id = pair_closure.descendant_account_id
        and compared_days.hierarchy_version_id = pair_closure.hierarchy_version_id
        and compared_days.prior_hierarchy_version_id = pair_closure.prior_hierarchy_version_id
    inner join changed_nodes
        on pair_closure.ancestor_account_id = changed_nodes.account_id
        and member_changes.as_of_date = changed_nodes.as_of_date
),

material_contributions as (
    select
        *,
        abs(contribution) as contribution_size
    from member_contributions
    where abs(contribution) >= 0.5
),

-- Ties on the size (rare) go to the larger member id, so that the choice is stable.
top_contributions as (
    {{ top_n_per_group(
        'material_contributions',
        ['account_id', 'as_of_date', 'rollup_method'],
        ['contribution_size', 'member_account_id'],
        ['member_account_id', 'contribution', 'score_now', 'score_before'],
        3,
    ) | indent(4) }}
)

select * from top_contributions
