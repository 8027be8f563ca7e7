-- One row per account as a node of the enterprise hierarchy, as_of_date and roll-up
-- method (account_count, contract_value): the health of the node's whole subtree by the
-- marts contract's roll-up semantics, its band by the seed hierarchy_band_rules, and the
-- members that moved it most over score_change_days (public mart). Incremental over the
-- window vars: a run replaces exactly its days.
{{
    config(
        materialized='incremental',
        incremental_strategy='window_replace',
        window_column='as_of_date',
        on_schema_change='fail',
    )
}}

{%- set shares = ['good_share', 'average_share', 'poor_share'] -%}
{%- set comparisons = {'>': 'above', '>=': 'at_least', '<': 'below', '<=': 'at_most'} %}

with

rollups as (
    select * from {{ ref('int_hierarchy_health_rollup') }}
),

contributions as (
    select * from {{ ref('int_hierarchy_health_contributions') }}
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
    select account_id, account_name from {{ ref('int_accounts_snapshot_source') }}
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

-- One row per rule with its thresholds by share and comparison (null: no condition).
rule_thresholds as (
    select
        rule_priority,
        max(health_band) as health_band
        {%- for share in shares %}
        {%- for comparison, suffix in comparisons.items() %},
        max(case when share_name = '{{ share }}' and comparison = '{{ comparison }}'
            then cast(threshold as {{ type_double() }}) end) as {{ share }}_{{ suffix }}
        {%- endfor %}
        {%- endfor %}
    from band_rules
    group by rule_priority
),

-- The first rule whose conditions all hold; shares rounded so that float noise never
-- flips a band at a boundary.
matched_rules as (
    select
        rollups.account_id,
        rollups.as_of_date,
        rollups.rollup_method,
        min(rule_thresholds.rule_priority) as rule_priority
    from rollups
    cross join rule_thresholds
    where rollups.total_weight > 0
        {%- for share in shares %}
        {%- for comparison, suffix in comparisons.items() %}
        and (rule_thresholds.{{ share }}_{{ suffix }} is null
            or round(rollups.{{ share }}, 9) {{ comparison }} rule_thresholds.{{ share }}_{{ suffix }})
        {%- endfor %}
        {%- endfor %}
    group by rollups.account_id, rollups.as_of_date, rollups.rollup_method
),

node_bands as (
    select
        matched_rules.account_id,
        matched_rules.as_of_date,
        matched_rules.rollup_method,
        rule_thresholds.health_band
    from matched_rules
    inner join rule_thresholds
        on matched_rules.rule_priority = rule_thresholds.rule_priority
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
        rollups.account_id,
        rollups.as_of_date,
        rollups.rollup_method,
        rollups.root_account_id,
        rollups.hierarchy_depth,
        rollups.subtree_account_count,
        rollups.member_count,
        rollups.total_weight,
        rollups.good_share,
        rollups.average_share,
        rollups.poor_share,
        rollups.health_score,
        rollups.worst_score,
        -- No member or no weight: insufficient_data; otherwise the matched rule (a rule set
        -- without catch-all leaves a null here, which the contract's not_null stops).
        case
            when rollups.total_weight > 0 then node_bands.health_band
            else 'insufficient_data'
        end as health_band,
        rollups.health_score - rollups.prior_health_score as score_change_30d,
        case
            when rollups.member_count = 0 then 'no scored member'
            when rollups.total_weight = 0 then 'no scored member with contract value'
            when rollups.prior_total_weight = 0 then 'no score 30 days earlier'
            else coalesce(reasons.top_reasons, 'no material change')
        end as top_reasons,
        rollups.hierarchy_source,
        definition.definition_version
    from rollups
    cross join definition
    left join node_bands
        on rollups.account_id = node_bands.account_id
        and rollups.as_of_date = node_bands.as_of_date
        and rollups.rollup_method = node_bands.rollup_method
    left join reasons
        on rollups.account_id = reasons.account_id
        and rollups.as_of_date = reasons.as_of_date
        and rollups.rollup_method = reasons.rollup_method
)

select * from final
