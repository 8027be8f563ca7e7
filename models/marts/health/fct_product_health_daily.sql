-- One row per customer account, product module it licenses on the day and as_of_date: the
-- module's health score, band, coverage, 30-day change and the reasons for it (public
-- mart; marts contract, round 2), scored like accounts under the product profile of seed
-- product_profile_rules. Incremental over the window vars: a run replaces exactly its days.
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

scores as (
    select * from {{ ref('int_product_health_scores') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicator_scores as (
    select
        account_id,
        product_id,
        as_of_date,
        indicator_id,
        raw_value,
        indicator_score,
        effective_weight
    from {{ ref('int_product_indicator_scores_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicators as (
    select
        indicator_id,
        indicator_label,
        unit
    from {{ ref('health_indicators') }}
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

current_scores as (
    select * from scores
    where {{ in_health_window('as_of_date') }}
),

-- Each indicator's contribution to the score (effective weight x score) now and
-- score_change_days before, as for accounts (fct_account_health_daily).
contributions as (
    select
        current_indicators.account_id,
        current_indicators.product_id,
        current_indicators.as_of_date,
        current_indicators.indicator_id,
        current_indicators.raw_value as value_now,
        prior_indicators.raw_value as value_before,
        current_indicators.indicator_score as score_now,
        prior_indicators.indicator_score as score_before,
        current_indicators.effective_weight * coalesce(current_indicators.indicator_score, 0)
        - coalesce(prior_indicators.effective_weight * prior_indicators.indicator_score, 0) as contribution_change
    from indicator_scores as current_indicators
    inner join indicator_scores as prior_indicators
        on current_indicators.account_id = prior_indicators.account_id
        and current_indicators.product_id = prior_indicators.product_id
        and current_indicators.indicator_id = prior_indicators.indicator_id
        and prior_indicators.as_of_date
            = {{ add_days('current_indicators.as_of_date', -var('score_change_days')) }}
    where {{ in_health_window('current_indicators.as_of_date') }}
),

ranked_contributions as (
    select
        contributions.*,
        indicators.indicator_label,
        indicators.unit,
        row_number() over (
            partition by contributions.account_id, contributions.product_id, contributions.as_of_date
            order by abs(contributions.contribution_change) desc, contributions.indicator_id
        ) as reason_rank
    from contributions
    inner join indicators
        on contributions.indicator_id = indicators.indicator_id
    -- An indicator is a reason when its own score moved (or its data came or went).
    where abs(contributions.contribution_change) >= 0.5
        and (
            abs(coalesce(contributions.score_now, -1) - coalesce(contributions.score_before, -1)) >= 0.5
            or (contributions.value_now is null) <> (contributions.value_before is null)
        )
),

reasons as (
    select
        account_id,
        product_id,
        as_of_date,
        {{ ordered_listagg(
            health_reason_text('indicator_label', 'unit', 'value_before', 'value_now', 'contribution_change'),
            "'; '",
            'order by reason_rank'
        ) }} as top_reasons
    from ranked_contributions
    where reason_rank <= 3
    group by account_id, product_id, as_of_date
),

final as (
    select
        current_scores.account_id,
        current_scores.product_id,
        current_scores.as_of_date,
        definition.definition_version,
        current_scores.health_profile_id,
        current_scores.health_score,
        current_scores.health_band,
        current_scores.coverage,
        case
            when prior_scores.account_id is null then 'no score 30 days earlier'
            else coalesce(reasons.top_reasons, 'no material change')
        end as top_reasons,
        cast(current_scores.licensed_seats as {{ dbt.type_bigint() }}) as licensed_seats,
        cast(current_scores.arr as {{ type_double() }}) as arr,
        cast(current_scores.active_users_30d as {{ dbt.type_bigint() }}) as active_users_30d,
        current_scores.health_score - prior_scores.health_score as score_change_30d,
        prior_scores.health_band as health_band_30d_ago
    from current_scores
    cross join definition
    left join scores as prior_scores
        on current_scores.account_id = prior_scores.account_id
        and current_scores.product_id = prior_scores.product_id
        and prior_scores.as_of_date
            = {{ add_days('current_scores.as_of_date', -var('score_change_days')) }}
    left join reasons
        on current_scores.account_id = reasons.account_id
        and current_scores.product_id = reasons.product_id
        and current_scores.as_of_date = reasons.as_of_date
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
