-- One row per scored account, compared day (int_hierarchy_rollup_days) and roll-up
-- method whose band is good, average or poor: a member of the roll-up of every node of
-- its subtree path, with its weight (account_count: 1; contract_value: ARR in USD on
-- the day) and the hierarchy version of the day. insufficient_data accounts are no
-- members.
with

rollup_days as (
    select * from {{ ref('int_hierarchy_rollup_days') }}
),

scores as (
    select * from {{ ref('int_account_health_scores') }}
),

methods as (
    {{- hierarchy_rollup_methods_query() | indent(4) }}
),

final as (
    select
        rollup_days.hierarchy_version_id,
        scores.as_of_date,
        methods.rollup_method,
        scores.account_id,
        cast(scores.health_score as {{ type_double() }}) as health_score,
        scores.health_band,
        cast(
            case methods.rollup_method when 'account_count' then 1 else scores.arr end
            as {{ type_double() }}
        ) as member_weight
    from scores
    inner join rollup_days
        on scores.as_of_date = rollup_days.as_of_date
    cross join methods
    where scores.health_band in ('good', 'average', 'poor')
)

select * from final
