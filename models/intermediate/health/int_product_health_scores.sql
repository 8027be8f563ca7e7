-- One row per customer account, licensed product module and day of the scoring span:
-- the module's health score, coverage and band, by the same machinery as accounts
-- (macro health_scores; contract steps 4-7) under the module's profile, with its seats,
-- ARR (the contract_value weight of the product roll-up) and 30-day active users.
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
        product_id,
        as_of_date,
        pillar,
        indicator_weight,
        indicator_score,
        effective_weight,
        nominal_weight,
        is_missing
    from {{ ref('int_product_indicator_scores_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

product_usage as (
    select * from {{ ref('int_product_usage_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

-- The module's profile on the day (seed product_profile_rules).
product_days as (
    {{ product_profiles('product_usage') | indent(4) }}
),

final as (
    {{ health_scores(
        'indicator_scores',
        'product_days',
        ['account_id', 'product_id'],
        ['licensed_seats', 'arr', 'active_users_30d'],
    ) | indent(4) }}
)

select * from final
