-- One row per account and compared day (int_hierarchy_rollup_days) where the account's
-- band is good, average or poor: a member of the roll-up of every node above it (and of
-- its own), with its health score, band, ARR (the contract_value weight) and the
-- hierarchy version of the day. insufficient_data accounts are no members.
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
    select * from {{ ref('int_account_health_scores') }}
    where {{ in_scoring_span('as_of_date') }}
),

final as (
    select
        rollup_days.hierarchy_version_id,
        scores.as_of_date,
        scores.account_id,
        cast(scores.health_score as {{ type_double() }}) as health_score,
        scores.health_band,
        cast(coalesce(scores.arr, 0) as {{ type_double() }}) as arr
    from scores
    inner join rollup_days
        on scores.as_of_date = rollup_days.as_of_date
    where scores.health_band in ('good', 'average', 'poor')
)

select * from final
