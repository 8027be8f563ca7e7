-- One row per account and snapshot day the churn-risk model learns from or scores.
-- Snapshot days run back from the prediction date (the latest as_of_date of
-- fct_account_health_daily) every churn_model_snapshot_days days (default 14) over the
-- stored score history; every account scored on a snapshot day is an example, with its
-- features as of that day (feature_date) and the label: whether the account churned
-- (a churned outcome of fct_customer_outcomes) in the churn_model_horizon_days days
-- after it (default 90). The label is known only when that whole window and the
-- outcome_grace_days after it (a renewal signed late turns a drop to zero back into a
-- renewal) end before the prediction date (is_label_known); the examples on the
-- prediction date itself are the accounts to score (example_type `current`).
--
-- Snapshots of every account on a fixed calendar (rather than one example per renewal
-- point) keep the model from learning the sampling: retained monthly plans have
-- outcomes only at yearly anniversaries, churned ones at any month.
{%- set horizon_days = var('churn_model_horizon_days', 90) | int %}
{%- set snapshot_days = var('churn_model_snapshot_days', 14) | int %}
{%- set label_known = add_days('label_end_date', var('outcome_grace_days', 30) | int) ~ ' < prediction_date' %}

with

health as (
    select * from {{ ref('fct_account_health_daily') }}
),

churns as (
    select
        account_id,
        outcome_date
    from {{ ref('fct_customer_outcomes') }}
    where is_churned
),

latest_day as (
    select max(as_of_date) as prediction_date from health
),

snapshots as (
    select
        health.account_id,
        health.as_of_date as feature_date,
        health.health_score,
        health.health_band,
        health.definition_version,
        latest_day.prediction_date
    from health
    cross join latest_day
    where mod({{ dbt.datediff('health.as_of_date', 'latest_day.prediction_date', 'day') }}, {{ snapshot_days }}) = 0
),

labelled as (
    select
        snapshots.account_id,
        snapshots.feature_date,
        snapshots.health_score,
        snapshots.health_band,
        snapshots.definition_version,
        snapshots.prediction_date,
        {{ add_days('snapshots.feature_date', horizon_days) }} as label_end_date,
        min(churns.outcome_date) as churn_date
    from snapshots
    left join churns
        on snapshots.account_id = churns.account_id
        and churns.outcome_date > snapshots.feature_date
        and churns.outcome_date <= {{ add_days('snapshots.feature_date', horizon_days) }}
    group by
        snapshots.account_id,
        snapshots.feature_date,
        snapshots.health_score,
        snapshots.health_band,
        snapshots.definition_version,
        snapshots.prediction_date
),

final as (
    select
        {{ dbt.concat(['account_id', "'|'", 'cast(feature_date as ' ~ dbt.type_string() ~ ')']) }} as example_id,
        case when feature_date = prediction_date then 'current' else 'history' end as example_type,
        account_id,
        feature_date,
        cast({{ horizon_days }} as {{ dbt.type_int() }}) as horizon_days,
        label_end_date,
        {{ label_known }} as is_label_known,
        case when {{ label_known }} then churn_date is not null end as is_churned,
        case when {{ label_known }} then churn_date end as churn_date,
        health_score,
        health_band,
        definition_version,
        prediction_date
    from labelled
)

select * from final
