-- One row per definition_version, back-test horizon and calendar quarter of the outcomes:
-- the ROC AUC of the health score for churn at the renewal points of that quarter, scored
-- horizon days before them, with the churned and retained counts behind it (the same
-- Mann-Whitney formula as int_health_backtest_auc). Over every stored outcome, not only the
-- back-test period: how well each definition predicted, over time (the dashboard's
-- "Definition quality" page).
with

backtest as (
    select * from {{ ref('fct_health_backtest') }}
),

scored as (
    select
        definition_version,
        horizon_days,
        cast({{ dbt.date_trunc('quarter', 'outcome_date') }} as date) as outcome_quarter,
        health_score,
        case when is_churned then 1 else 0 end as is_positive
    from backtest
    where has_score
        and is_renewal_point
        and health_score is not null
),

final as (
    {{ churn_auc_by('scored', ['definition_version', 'horizon_days', 'outcome_quarter']) | indent(4) }}
)

select * from final
