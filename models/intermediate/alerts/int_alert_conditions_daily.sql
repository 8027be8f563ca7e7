-- One row per customer account, scored day and alert type whose rule (seed alert_rules)
-- holds on that day, with the rule's metric and a CSM-readable detail. Daily, over the
-- run's window (reading the scores of the window and of the score_change_days before it);
-- fct_health_alerts turns consecutive days into alert episodes. The rules are part of the
-- health definition (scoring), so a rule change recalculates history like any other.
-- Rules on the health score and band read the effective values (a CSM override applied,
-- marts contract): an account a CSM marked good opens no renewal_at_risk alert while the
-- override lasts.
{#- Numbers as text for the details column: `@` is replaced by the expression. -#}
{%- set one_decimal = 'cast(round(@, 1) as ' ~ dbt.type_string() ~ ')' -%}
{%- set two_decimals = 'cast(round(@, 2) as ' ~ dbt.type_string() ~ ')' -%}
{%- set whole = 'cast(cast(round(@, 0) as ' ~ dbt.type_int() ~ ') as ' ~ dbt.type_string() ~ ')' %}
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

health as (
    select
        account_id,
        as_of_date,
        health_profile_id,
        definition_version,
        lifecycle_stage,
        effective_health_score as health_score,
        effective_health_band as health_band,
        effective_health_band_30d_ago as health_band_30d_ago,
        engagement_score,
        effective_score_change_30d as score_change_30d,
        top_reasons,
        override_id
    from {{ ref('fct_account_health_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

health_overrides as (
    select
        override_id,
        health_band,
        health_score,
        override_reason,
        created_by_user_id,
        effective_end_date
    from {{ ref('dim_health_override') }}
),

indicator_values as (
    select
        account_id,
        as_of_date,
        indicator_id,
        raw_value
    from {{ ref('fct_indicator_scores_daily') }}
    where indicator_id in ('payment_health', 'onboarding_progress')
        and raw_value is not null
        and {{ in_health_window('as_of_date') }}
),

rules as (
    select
        alert_type,
        severity,
        cast(threshold as {{ type_double() }}) as threshold
    from {{ ref('alert_rules') }}
    where is_enabled
),

health_with_prior as (
    select
        health.*,
        prior_health.engagement_score as engagement_score_30d_ago,
        case health.health_band when 'good' then 3 when 'average' then 2 when 'poor' then 1 end
            as band_rank,
        case health.health_band_30d_ago when 'good' then 3 when 'average' then 2 when 'poor' then 1 end
            as band_rank_30d_ago
    from health
    left join health as prior_health
        on health.account_id = prior_health.account_id
        and prior_health.as_of_date
            = {{ add_days('health.as_of_date', -var('score_change_days')) }}
),

health_drop as (
    select
        health_with_prior.account_id,
        health_with_prior.as_of_date,
        rules.alert_type,
        -health_with_prior.score_change_30d as metric_value,
        {{ dbt.concat([
            "'health score fell '",
            one_decimal | replace('@', '-health_with_prior.score_change_30d'),
            "' points in " ~ var('score_change_days') ~ " days to '",
            one_decimal | replace('@', 'health_with_prior.health_score'),
            "' ('", 'health_with_prior.health_band', "'): '",
            'health_with_prior.top_reasons',
        ]) }} as details
    from health_with_prior
    inner join rules
        on rules.alert_type = 'health_drop'
    where health_with_prior.score_change_30d <= -rules.threshold
),

band_downgrade as (
    select
        health_with_prior.account_id,
        health_with_prior.as_of_date,
        rules.alert_type,
        cast(health_with_prior.band_rank_30d_ago - health_with_prior.band_rank as {{ type_double() }})
            as metric_value,
        {{ dbt.concat([
            "'health band went from '", 'health_with_prior.health_band_30d_ago',
            "' to '", 'health_with_prior.health_band',
            "' in " ~ var('score_change_days') ~ " days (score '",
            one_decimal | replace('@', 'health_with_prior.health_score'), "'): '",
            'health_with_prior.top_reasons',
        ]) }} as details
    from health_with_prior
    inner join rules
        on rules.alert_type = 'band_downgrade'
    where health_with_prior.band_rank < health_with_prior.band_rank_30d_ago
),

engagement_drop as (
    select
        health_with_prior.account_id,
        health_with_prior.as_of_date,
        rules.alert_type,
        health_with_prior.engagement_score_30d_ago - health_with_prior.engagement_score as metric_value,
        {{ dbt.concat([
            "'engagement score fell from '",
            one_decimal | replace('@', 'health_with_prior.engagement_score_30d_ago'),
            "' to '", one_decimal | replace('@', 'health_with_prior.engagement_score'),
            "' in " ~ var('score_change_days') ~ " days'",
        ]) }} as details
    from health_with_prior
    inner join rules
        on rules.alert_type = 'engagement_drop'
    where health_with_prior.engagement_score_30d_ago - health_with_prior.engagement_score >= rules.threshold
),

invoice_overdue as (
    select
        indicator_values.account_id,
        indicator_values.as_of_date,
        rules.alert_type,
        indicator_values.raw_value as metric_value,
        {{ dbt.concat([
            "'oldest unpaid invoice is '", whole | replace('@', 'indicator_values.raw_value'),
            "' days past due (rule: more than '", whole | replace('@', 'rules.threshold'), "')'",
        ]) }} as details
    from indicator_values
    inner join rules
        on rules.alert_type = 'invoice_overdue'
    where indicator_values.indicator_id = 'payment_health'
        and indicator_values.raw_value > rules.threshold
),

renewal_at_risk as (
    select
        health_with_prior.account_id,
        health_with_prior.as_of_date,
        rules.alert_type,
        health_with_prior.health_score as metric_value,
        {{ dbt.concat([
            "'renewal within " ~ var('renewal_window_days') ~ " days with health band '",
            'health_with_prior.health_band', "' (score '",
            "coalesce(" ~ (one_decimal | replace('@', 'health_with_prior.health_score')) ~ ", 'n/a')", "')'",
        ]) }} as details
    from health_with_prior
    inner join rules
        on rules.alert_type = 'renewal_at_risk'
    where health_with_prior.lifecycle_stage = 'renewal'
        and health_with_prior.health_band <> 'good'
),

stalled_onboarding as (
    select
        indicator_values.account_id,
        indicator_values.as_of_date,
        rules.alert_type,
        indicator_values.raw_value as metric_value,
        {{ dbt.concat([
            "'onboarding progress '", two_decimals | replace('@', 'indicator_values.raw_value'),
            "' (milestones reached vs time elapsed) is below '",
            two_decimals | replace('@', 'rules.threshold'),
        ]) }} as details
    from indicator_values
    inner join health
        on indicator_values.account_id = health.account_id
        and indicator_values.as_of_date = health.as_of_date
    inner join rules
        on rules.alert_type = 'stalled_onboarding'
    where indicator_values.indicator_id = 'onboarding_progress'
        and health.lifecycle_stage = 'onboarding'
        and indicator_values.raw_value < rules.threshold
),

override_expiring as (
    select
        health.account_id,
        health.as_of_date,
        rules.alert_type,
        cast({{ dbt.datediff('health.as_of_date', 'health_overrides.effective_end_date', 'day') }} as {{ type_double() }})
            as metric_value,
        {{ dbt.concat([
            "'CSM override to '", 'health_overrides.health_band',
            "coalesce(" ~ dbt.concat(["' ('", one_decimal | replace('@', 'health_overrides.health_score'), "')'"]) ~ ", '')",
            "' by '", "coalesce(health_overrides.created_by_user_id, 'unknown')",
            "' ends on '", dbt.cast('health_overrides.effective_end_date', dbt.type_string()),
            "' (in '", dbt.cast(dbt.datediff('health.as_of_date', 'health_overrides.effective_end_date', 'day'), dbt.type_string()),
            "' days): '", "coalesce(health_overrides.override_reason, 'no reason given')",
        ]) }} as details
    from health
    inner join health_overrides
        on health.override_id = health_overrides.override_id
    inner join rules
        on rules.alert_type = 'override_expiring'
    where {{ dbt.datediff('health.as_of_date', 'health_overrides.effective_end_date', 'day') }} <= rules.threshold
),

conditions as (
    select * from health_drop
    union all
    select * from band_downgrade
    union all
    select * from engagement_drop
    union all
    select * from invoice_overdue
    union all
    select * from renewal_at_risk
    union all
    select * from stalled_onboarding
    union all
    select * from override_expiring
),

final as (
    select
        conditions.account_id,
        conditions.as_of_date,
        conditions.alert_type,
        rules.severity,
        rules.threshold,
        conditions.metric_value,
        conditions.details,
        health.health_profile_id,
        health.definition_version,
        health.health_score,
        health.health_band
    from conditions
    inner join rules
        on conditions.alert_type = rules.alert_type
    inner join health
        on conditions.account_id = health.account_id
        and conditions.as_of_date = health.as_of_date
    where {{ in_health_window('conditions.as_of_date') }}
)

select * from final
