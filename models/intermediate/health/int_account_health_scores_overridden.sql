-- One row per customer account and day of the scoring span: the computed health
-- (int_account_health_scores) with the CSM override that applies on the day, if any, and
-- the effective band and score the marts contract defines: an override applies when
-- start_date <= day <= its last day (effective_end_date: the open end capped); of
-- overlapping ones the latest start wins, ties the latest load, then the larger id (so the
-- choice is deterministic). Effective band = the override's band; effective score = its
-- score, or the computed score when it has none; without an override, the computed ones.
-- Roll-ups, segment marts and alerts read the effective values from here.
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

health_overrides as (
    select
        override_id,
        account_id,
        health_band,
        health_score,
        start_date,
        effective_end_date,
        loaded_at
    from {{ ref('int_health_overrides_linked') }}
    where start_date < {{ health_window_end_exclusive() }}
        and effective_end_date >= {{ date_literal(scoring_span_start_day()) }}
),

applicable as (
    select
        scores.account_id,
        scores.as_of_date,
        health_overrides.override_id,
        health_overrides.health_band,
        health_overrides.health_score,
        health_overrides.effective_end_date,
        row_number() over (
            partition by scores.account_id, scores.as_of_date
            order by
                health_overrides.start_date desc,
                health_overrides.loaded_at desc,
                health_overrides.override_id desc
        ) as override_rank
    from scores
    inner join health_overrides
        on scores.account_id = health_overrides.account_id
        and health_overrides.start_date <= scores.as_of_date
        and scores.as_of_date <= health_overrides.effective_end_date
),

final as (
    select
        scores.*,
        applicable.override_id,
        applicable.health_band as override_health_band,
        applicable.health_score as override_health_score,
        applicable.effective_end_date as override_end_date,
        coalesce(applicable.health_band, scores.health_band) as effective_health_band,
        coalesce(applicable.health_score, scores.health_score) as effective_health_score
    from scores
    left join applicable
        on scores.account_id = applicable.account_id
        and scores.as_of_date = applicable.as_of_date
        and applicable.override_rank = 1
)

select * from final
