-- One row per definition_version, back-test horizon and health band N days before the
-- outcome (good, average, poor, insufficient_data, and `all` for every band together),
-- over the outcomes of the back-test period (last backtest_lookback_months): how many
-- outcomes followed a day in that band and the share of them that were churn,
-- contraction, expansion or a flat renewal (the four rates sum to 1), plus the ROC AUC
-- of the health score for predicting churn at renewal points (int_health_backtest_auc),
-- which is a property of the definition and horizon and so is the same on every band row.
with

backtest as (
    select * from {{ ref('fct_health_backtest') }}
    where has_score
        and is_in_backtest_period
),

auc as (
    select * from {{ ref('int_health_backtest_auc') }}
),

period as (
    select
        min(outcome_date) as period_start_date,
        max(outcome_date) as period_end_date
    from backtest
),

band_rows as (
    select
        definition_version,
        horizon_days,
        health_band,
        outcome_result,
        is_renewal_point,
        health_score
    from backtest
    union all
    select
        definition_version,
        horizon_days,
        'all' as health_band,
        outcome_result,
        is_renewal_point,
        health_score
    from backtest
),

counts as (
    select
        definition_version,
        horizon_days,
        health_band,
        count(*) as outcome_count,
        sum(case when is_renewal_point then 1 else 0 end) as renewal_point_count,
        sum(case when outcome_result = 'renewed' then 1 else 0 end) as renewed_count,
        sum(case when outcome_result = 'expanded' then 1 else 0 end) as expanded_count,
        sum(case when outcome_result = 'contracted' then 1 else 0 end) as contracted_count,
        sum(case when outcome_result = 'churned' then 1 else 0 end) as churned_count,
        avg(health_score) as mean_health_score
    from band_rows
    group by definition_version, horizon_days, health_band
),

final as (
    select
        counts.definition_version,
        cast(counts.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        counts.health_band,
        cast(
            case counts.health_band
                when 'good' then 1
                when 'average' then 2
                when 'poor' then 3
                when 'insufficient_data' then 4
                else 5
            end
            as {{ dbt.type_int() }}
        ) as band_order,
        cast(counts.outcome_count as {{ dbt.type_int() }}) as outcome_count,
        cast(counts.renewal_point_count as {{ dbt.type_int() }}) as renewal_point_count,
        cast(counts.renewed_count as {{ dbt.type_int() }}) as renewed_count,
        cast(counts.expanded_count as {{ dbt.type_int() }}) as expanded_count,
        cast(counts.contracted_count as {{ dbt.type_int() }}) as contracted_count,
        cast(counts.churned_count as {{ dbt.type_int() }}) as churned_count,
        cast(counts.churned_count as {{ type_double() }}) / counts.outcome_count as churn_rate,
        cast(counts.contracted_count as {{ type_double() }}) / counts.outcome_count as contraction_rate,
        cast(counts.expanded_count as {{ type_double() }}) / counts.outcome_count as expansion_rate,
        cast(counts.renewed_count as {{ type_double() }}) / counts.outcome_count as renewal_rate,
        cast(counts.mean_health_score as {{ type_double() }}) as mean_health_score,
        auc.churn_auc,
        auc.churned_count as auc_churned_count,
        auc.retained_count as auc_retained_count,
        period.period_start_date,
        period.period_end_date
    from counts
    cross join period
    left join auc
        on counts.definition_version = auc.definition_version
        and counts.horizon_days = auc.horizon_days
)

select * from final
