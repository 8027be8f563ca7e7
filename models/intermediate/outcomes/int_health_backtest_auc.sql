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

ranked as (
    select
        definition_version,
        horizon_days,
        is_positive,
        rank() over (
            partition by definition_version, horizon_days
            order by health_score desc
        ) as min_rank,
        count(*) over (
            partition by definition_version, horizon_days, health_score
        ) as tie_count
    from scored
),

rank_sums as (
    select
        definition_version,
        horizon_days,
        sum(is_positive) as churned_count,
        sum(1 - is_positive) as retained_count,
        sum(case when is_positive = 1 then min_rank + (tie_count - 1) / 2.0 else 0 end) as churned_rank_sum
    from ranked
    group by definition_version, horizon_days
),

final as (
    select
        definition_version,
        horizon_days,
        cast(churned_count as {{ dbt.type_int() }}) as churned_count,
        cast(retained_count as {{ dbt.type_int() }}) as retained_count,
        cast(
            case
                when churned_count > 0 and retained_count > 0
                    then (churned_rank_sum - churned_count * (churned_count + 1) / 2.0)
                    / cast(churned_count * retained_count as {{ type_double() }})
            end
            as {{ type_double() }}
        ) as churn_auc
    from rank_sums
)

select * from final
