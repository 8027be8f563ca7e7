-- One row per account and compared day (int_hierarchy_rollup_days) where the account's
-- effective band (a CSM override applied) is good, average or poor: a member of the
-- roll-up of every node above it (and of its own), with its effective health score and
-- band, ARR (the contract_value weight), its relationship and impact dimension scores and
-- the hierarchy version of the day. insufficient_data accounts are no members.
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

scores as (
    select * from {{ ref('int_account_health_scores_overridden') }}
    where {{ in_scoring_span('as_of_date') }}
),

dimensions as (
    select * from {{ ref('int_account_health_dimensions_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

final as (
    select
        rollup_days.hierarchy_version_id,
        scores.as_of_date,
        scores.account_id,
        cast(scores.effective_health_score as {{ type_double() }}) as health_score,
        scores.effective_health_band as health_band,
        cast(coalesce(scores.arr, 0) as {{ type_double() }}) as arr,
        cast(dimensions.dimension_relationship_score as {{ type_double() }}) as dimension_relationship_score,
        cast(dimensions.dimension_impact_score as {{ type_double() }}) as dimension_impact_score
    from scores
    inner join rollup_days
        on scores.as_of_date = rollup_days.as_of_date
    left join dimensions
        on scores.account_id = dimensions.account_id
        and scores.as_of_date = dimensions.as_of_date
    where scores.effective_health_band in ('good', 'average', 'poor')
)

select * from final
