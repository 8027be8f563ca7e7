-- One row per customer account and as_of_date: the account's health score, pillars,
-- band, coverage, 30-day change and the reasons for it (public mart; see the marts
-- contract). Incremental over the window vars: a run replaces exactly its days.
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
    select * from {{ ref('int_account_health_scores') }}
    where {{ in_scoring_span('as_of_date') }}
),

-- The parts of each score_change_30d (they sum to it): a profile change, indicators whose
-- data came or went, each indicator's own change (int_health_score_change_parts).
score_change_parts as (
    select * from {{ ref('int_health_score_change_parts') }}
    where {{ in_health_window('as_of_date') }}
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

-- Added columns (marts contract, round 2): the relationship x impact dimensions and
-- quadrant, and the CSM override applied after scoring with the effective values (on
-- the day and score_change_days before it).
overridden as (
    select
        account_id,
        as_of_date,
        override_id,
        effective_health_score,
        effective_health_band
    from {{ ref('int_account_health_scores_overridden') }}
    where {{ in_scoring_span('as_of_date') }}
),

dimensions as (
    select * from {{ ref('int_account_health_dimensions_daily') }}
    where {{ in_health_window('as_of_date') }}
),

current_scores as (
    select * from scores
    where as_of_date >= {{ health_window_start() }}
        and as_of_date < {{ health_window_end_exclusive() }}
),

-- The largest parts first (half a point at least), in words a CSM can read.
ranked_parts as (
    select
        account_id,
        as_of_date,
        reason_text,
        row_number() over (
            partition by account_id, as_of_date
            order by abs(points) desc, part_kind asc, part_key asc
        ) as reason_rank
    from score_change_parts
    where abs(points) >= 0.5
),

reasons as (
    select
        account_id,
        as_of_date,
        {{ ordered_listagg('reason_text', "'; '", 'order by reason_rank') }} as top_reasons
    from ranked_parts
    where reason_rank <= 3
    group by account_id, as_of_date
),

final as (
    select
        current_scores.account_id,
        current_scores.as_of_date,
        current_scores.health_profile_id,
        definition.definition_version,
        current_scores.lifecycle_stage,
        current_scores.arr,
        current_scores.licensed_seats,
        current_scores.health_score,
        current_scores.health_band,
        current_scores.engagement_score,
        current_scores.outcomes_score,
        current_scores.relationship_score,
        current_scores.strategic_score,
        current_scores.coverage,
        current_scores.health_score - prior_scores.health_score as score_change_30d,
        prior_scores.health_band as health_band_30d_ago,
        case
            when prior_scores.account_id is null then 'no score 30 days earlier'
            else coalesce(reasons.top_reasons, 'no material change')
        end as top_reasons,
        dimensions.dimension_relationship_score,
        dimensions.dimension_impact_score,
        dimensions.health_quadrant,
        current_overridden.override_id,
        current_overridden.effective_health_score,
        current_overridden.effective_health_band,
        current_overridden.effective_health_score - prior_overridden.effective_health_score
            as effective_score_change_30d,
        prior_overridden.effective_health_band as effective_health_band_30d_ago
    from current_scores
    cross join definition
    left join scores as prior_scores
        on current_scores.account_id = prior_scores.account_id
        and prior_scores.as_of_date
            = {{ add_days('current_scores.as_of_date', -var('score_change_days')) }}
    left join reasons
        on current_scores.account_id = reasons.account_id
        and current_scores.as_of_date = reasons.as_of_date
    left join dimensions
        on current_scores.account_id = dimensions.account_id
        and current_scores.as_of_date = dimensions.as_of_date
    left join overridden as current_overridden
        on current_scores.account_id = current_overridden.account_id
        and current_scores.as_of_date = current_overridden.as_of_date
    left join overridden as prior_overridden
        on current_scores.account_id = prior_overridden.account_id
        and prior_overridden.as_of_date
            = {{ add_days('current_scores.as_of_date', -var('score_change_days')) }}
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
