-- One row per customer account and day of the scoring span: pillar scores, health
-- score, coverage and band by the contract's scoring semantics (steps 4-7), from
-- int_indicator_scores_daily and the account's health profile. The scoring itself is
-- the macro health_scores (macros/health_scoring.sql), shared with product health.
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

indicator_scores as (
    select
        account_id,
        as_of_date,
        pillar,
        indicator_weight,
        indicator_score,
        effective_weight,
        nominal_weight,
        is_missing
    from {{ ref('int_indicator_scores_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

account_days as (
    select * from {{ ref('int_account_days') }}
    where {{ in_scoring_span('as_of_date') }}
),

final as (
    {{ health_scores(
        'indicator_scores',
        'account_days',
        ['account_id'],
        ['lifecycle_stage', 'customer_tier', 'region', 'licensed_seats', 'arr', 'next_renewal_date'],
    ) | indent(4) }}
)

select * from final
