-- One row per customer outcome (fct_customer_outcomes) and back-test horizon N (var
-- backtest_horizon_days, default 30, 90 and 180 days): the account's health score, band
-- and profile N days before the outcome, as stored in fct_account_health_daily, with
-- the definition_version that produced that score. has_score is false where no score
-- exists on that day (before the account's first subscription, or outside the history
-- the daily marts hold).
{%- set horizons = var('backtest_horizon_days', [30, 90, 180]) %}
{%- for horizon in horizons %}
    {%- if not (horizon | string).isdigit() or (horizon | int) <= 0 %}
        {{ exceptions.raise_compiler_error("var 'backtest_horizon_days' must be a list of positive whole days, got: " ~ (horizons | tojson)) }}
    {%- endif %}
{%- endfor %}

with

outcomes as (
    select * from {{ ref('fct_customer_outcomes') }}
),

health as (
    select
        account_id,
        as_of_date,
        definition_version,
        health_profile_id,
        lifecycle_stage,
        health_score,
        health_band,
        coverage
    from {{ ref('fct_account_health_daily') }}
),

horizons as (
    {%- for horizon in horizons %}
    select {{ horizon | int }} as horizon_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

outcome_horizons as (
    select
        outcomes.outcome_id,
        outcomes.account_id,
        outcomes.outcome_date,
        outcomes.outcome_kind,
        outcomes.is_renewal_point,
        outcomes.outcome_result,
        outcomes.is_churned,
        outcomes.is_contracted,
        outcomes.is_expanded,
        outcomes.arr_before,
        outcomes.arr_after,
        horizons.horizon_days,
        {{ add_days('outcomes.outcome_date', '-horizons.horizon_days') }} as scored_on_date
    from outcomes
    cross join horizons
),

final as (
    select
        outcome_horizons.outcome_id,
        outcome_horizons.account_id,
        outcome_horizons.outcome_date,
        outcome_horizons.outcome_kind,
        outcome_horizons.is_renewal_point,
        outcome_horizons.outcome_result,
        outcome_horizons.is_churned,
        outcome_horizons.is_contracted,
        outcome_horizons.is_expanded,
        outcome_horizons.arr_before,
        outcome_horizons.arr_after,
        cast(outcome_horizons.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        outcome_horizons.scored_on_date,
        -- The back-test period: outcomes of the last backtest_lookback_months up to the
        -- run's end day (18-24 months is the usual look-back for a health review).
        outcome_horizons.outcome_date
        > cast({{ dbt.dateadd('month', -var('backtest_lookback_months', 24), health_window_end()) }} as date)
        as is_in_backtest_period,
        health.account_id is not null as has_score,
        health.definition_version,
        health.health_profile_id,
        health.lifecycle_stage,
        health.health_score,
        health.health_band,
        health.coverage
    from outcome_horizons
    left join health
        on outcome_horizons.account_id = health.account_id
        and outcome_horizons.scored_on_date = health.as_of_date
)

select * from final
