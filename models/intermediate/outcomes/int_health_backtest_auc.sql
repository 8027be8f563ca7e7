-- One row per definition_version and back-test horizon: the ROC AUC of the health score
-- for predicting churn at renewal points of the back-test period, by the Mann-Whitney
-- rank formula (portable SQL: window functions only). A lower score should mean a
-- higher risk, so accounts are ranked by descending score (ascending risk); ties share
-- their average rank. AUC = (sum of the churned renewal points' ranks - n1 (n1 + 1) / 2)
-- / (n1 n0), with n1 churned and n0 retained renewal points: the probability that a
-- churned account scored lower than a retained one (ties count one half). Null when
-- either group is empty.
with

backtest as (
    select * from {{ ref('fct_health_backtest') }}
),

scored as (
    select
        definition_version,
        horizon_days,
        health_score,
        case when is_churned then 1 else 0 end as is_positive
    from backtest
    where has_score
        and is_renewal_point
        and is_in_backtest_period
        and health_score is not null
),

final as (
    {{ churn_auc_by('scored', ['definition_version', 'horizon_days']) | indent(4) }}
)

select * from final
