-- One row per customer account, licensed product module, as_of_date and indicator of the
-- module's health profile: raw value, indicator score and weights (public mart), the
-- product-level twin of fct_indicator_scores_daily: why a module scores what it scores.
-- Incremental over the window vars.
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
    select * from {{ ref('int_product_indicator_scores_daily') }}
    where {{ in_health_window('as_of_date') }}
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

final as (
    select
        indicator_scores.account_id,
        indicator_scores.product_id,
        indicator_scores.as_of_date,
        indicator_scores.indicator_id,
        indicator_scores.health_profile_id,
        definition.definition_version,
        indicator_scores.pillar,
        indicator_scores.scoring_method,
        indicator_scores.missing_policy,
        indicator_scores.raw_value,
        indicator_scores.indicator_score,
        indicator_scores.nominal_weight,
        indicator_scores.effective_weight,
        indicator_scores.is_missing
    from indicator_scores
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
