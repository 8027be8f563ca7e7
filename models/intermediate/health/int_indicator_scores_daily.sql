-- One row per customer account, day of the scoring span and indicator of the account's
-- health profile on that day: the indicator score (0-100) by the profile's scoring
-- method, the missing policy applied, and the nominal and effective weights of the
-- contract's scoring semantics (steps 2-4 and 6). The scoring itself is the macro
-- health_indicator_scores (macros/health_scoring.sql), shared with product health.
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

account_days as (
    select * from {{ ref('int_account_days') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicator_values as (
    select * from {{ ref('int_indicator_values_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

final as (
    {{ health_indicator_scores('account_days', 'indicator_values', ['account_id']) | indent(4) }}
)

select * from final
