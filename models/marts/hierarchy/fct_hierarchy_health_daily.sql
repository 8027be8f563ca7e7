-- One row per account as a node of the enterprise hierarchy, as_of_date and roll-up
-- method (account_count, contract_value): the health of the node's whole subtree by the
-- marts contract's roll-up semantics (members' effective bands and scores: CSM overrides
-- applied), its band by the seed hierarchy_band_rules, its relationship x impact
-- dimensions and quadrant, and the members that moved it most over score_change_days
-- (public mart). Incremental over the window vars: a run replaces exactly its days.
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

contributions as (
    select * from {{ ref('int_hierarchy_health_contributions') }}
    where {{ in_health_window('as_of_date') }}
),

band_rules as (
    select * from {{ ref('hierarchy_band_rules') }}
),

-- The member's own main reason (the first of its top_reasons) on the day.
account_health as (
    select
        account_id,
        as_of_date,
        {{ dbt.split_part('top_reasons', "'; '", 1) }} as main_reason
    from {{ ref('fct_account_health_daily') }}
    where as_of_date >= {{ health_window_start() }}
        and as_of_date < {{ health_window_end_exclusive() }}
        and top_reasons not in ('no material change', 'no score 30 days earlier')
),

-- Names of every keyed CRM account, deleted ones included (a member may have left).
account_names as (
    select
        account_id,
        account_name
    from {{ ref('base_crm__accounts') }}
    where account_id is not null
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

-- The rules pivoted into one row of slots (macros/hierarchy.sql), evaluated as one CASE
-- per node row: the first rule whose conditions all hold; no member or no weight:
-- insufficient_data.
rule_slots as (
    {{ hierarchy_band_rule_slots('band_rules') | indent(4) }}
),

thresholds as (
    {{ health_dimension_thresholds() | indent(4) }}
),

banded_rollups as (
    select
        rollups.*,
        {{ hierarchy_band('rollups', 'rule_slots') | indent(8) }} as health_band,
        {{ health_quadrant(
            'rollups.dimension_relationship_score',
            'rollups.dimension_impact_score',
            'thresholds.relationship_threshold',
            'thresholds.impact_threshold',
        ) | indent(8) }} as health_quadrant
    from rollups
    cross join rule_slots
    cross join thresholds
),

-- "Acme EMEA fell from 72 to 41: license utilization 80% -> 30% (-9 pts)", one text per
-- member among the (up to) three that moved the node most.
reason_texts as (
    select
        contributions.account_id,
        contributions.as_of_date,
        contributions.rollup_method
        {%- for rank in range(1, 4) %},
        case when contributions.member_account_id_{{ rank }} is not null then
            {{ dbt.concat([
                "coalesce(names_" ~ rank ~ ".account_name, contributions.member_account_id_" ~ rank ~ ")",
                hierarchy_member_change_text('contributions.score_now_' ~ rank, 'contributions.score_before_' ~ rank),
                "case
                    when contributions.score_now_" ~ rank ~ " is not null
                        and contributions.score_before_" ~ rank ~ " is not null
                        and health_" ~ rank ~ ".main_reason is not null
                        then " ~ dbt.concat(["': '", 'health_' ~ rank ~ '.main_reason']) ~ "
                    else ''
                end",
            ]) | indent(12) }}
        end as reason_{{ rank }}
        {%- endfor %}
    from contributions
    {%- for rank in range(1, 4) %}
    left join account_names as names_{{ rank }}
        on contributions.member_account_id_{{ rank }} = names_{{ rank }}.account_id
    left join account_health as health_{{ rank }}
        on contributions.member_account_id_{{ rank }} = health_{{ rank }}.account_id
        and contributions.as_of_date = health_{{ rank }}.as_of_date
    {%- endfor %}
),

reasons as (
    select
        account_id,
        as_of_date,
        rollup_method,
        {{ dbt.concat([
            'reason_1',
            "case when reason_2 is not null then " ~ dbt.concat(["'; '", 'reason_2']) ~ " else '' end",
            "case when reason_3 is not null then " ~ dbt.concat(["'; '", 'reason_3']) ~ " else '' end",
        ]) }} as top_reasons
    from reason_texts
),

final as (
    select
        banded_rollups.account_id,
        banded_rollups.as_of_date,
        banded_rollups.rollup_method,
        banded_rollups.root_account_id,
        banded_rollups.hierarchy_depth,
        banded_rollups.subtree_account_count,
        banded_rollups.member_count,
        banded_rollups.total_weight,
        banded_rollups.good_share,
        banded_rollups.average_share,
        banded_rollups.poor_share,
        banded_rollups.health_score,
        banded_rollups.worst_score,
        -- A rule set without catch-all can leave a null here: the contract's not_null stops it.
        banded_rollups.health_band,
        banded_rollups.health_score - banded_rollups.prior_health_score as score_change_30d,
        case
            when banded_rollups.member_count = 0 then 'no scored member'
            when banded_rollups.total_weight = 0 then 'no scored member with contract value'
            when banded_rollups.prior_total_weight = 0 then 'no score 30 days earlier'
            else coalesce(reasons.top_reasons, 'no material change')
        end as top_reasons,
        banded_rollups.hierarchy_source,
        definition.definition_version,
        banded_rollups.dimension_relationship_score,
        banded_rollups.dimension_impact_score,
        banded_rollups.health_quadrant
    from banded_rollups
    cross join definition
    left join reasons
        on banded_rollups.account_id = reasons.account_id
        and banded_rollups.as_of_date = reasons.as_of_date
        and banded_rollups.rollup_method = reasons.rollup_method
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
