-- One row per customer account, as_of_date of the window and part of the account's
-- score_change_30d (the score now minus the score score_change_days before): the parts sum
-- to the change, so that top_reasons can name what moved the score.
--   profile_change   the earlier day re-scored under today's profile (and definition) minus
--                    its score under its own profile: a move from `onboarding` to
--                    `enterprise_high_touch` counts other indicators, with other weights;
--   data_change      an indicator of today's profile that had data on one day only (it came
--                    in or went away), with the shift of the other indicators' weights that
--                    its arrival or departure caused (shared out by nominal weight);
--   indicator_change an indicator scored on both days: today's effective weight x the change
--                    of its score.
-- With S_before the earlier score, S0 the earlier day under today's profile, S1 the score
-- with today's indicators but earlier scores where there are some, S_now today's score:
-- profile_change = S0 - S_before, data_change parts sum to S1 - S0, indicator_change
-- parts to S_now - S1. Both days are scored by the same definition (the run recomputes the
-- days compared), so a definition change moves no part.
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
    select
        account_id,
        as_of_date,
        health_profile_id,
        health_score
    from {{ ref('int_account_health_scores') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicator_scores as (
    select
        account_id,
        as_of_date,
        indicator_id,
        raw_value,
        indicator_score,
        effective_weight,
        nominal_weight
    from {{ ref('int_indicator_scores_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicator_values as (
    select
        account_id,
        as_of_date,
        indicator_id,
        raw_value
    from {{ ref('int_indicator_values_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

profile_indicators as (
    select * from {{ ref('health_profile_indicators') }}
),

pillar_weights as (
    select * from {{ ref('health_pillar_weights') }}
),

indicators as (
    select
        indicator_id,
        indicator_label,
        unit
    from {{ ref('health_indicators') }}
),

-- Account-days of the window with a score on both days.
pairs as (
    select
        current_scores.account_id,
        current_scores.as_of_date,
        prior_scores.as_of_date as prior_date,
        current_scores.health_profile_id as profile_now,
        prior_scores.health_profile_id as profile_before,
        current_scores.health_score as score_now,
        prior_scores.health_score as score_before
    from scores as current_scores
    inner join scores as prior_scores
        on current_scores.account_id = prior_scores.account_id
        and prior_scores.as_of_date = {{ add_days('current_scores.as_of_date', -var('score_change_days')) }}
    where {{ in_health_window('current_scores.as_of_date') }}
        and current_scores.health_score is not null
        and prior_scores.health_score is not null
),

current_rows as (
    select
        pairs.account_id,
        pairs.as_of_date,
        indicator_scores.indicator_id,
        indicator_scores.raw_value as value_now,
        indicator_scores.indicator_score as score_now,
        indicator_scores.effective_weight as weight_now,
        indicator_scores.nominal_weight
    from pairs
    inner join indicator_scores
        on pairs.account_id = indicator_scores.account_id
        and pairs.as_of_date = indicator_scores.as_of_date
),

-- The earlier day under today's profile: stored as it is when the profile is the same ...
prior_rows_same_profile as (
    select
        pairs.account_id,
        pairs.as_of_date,
        indicator_scores.indicator_id,
        indicator_scores.raw_value as value_before,
        indicator_scores.indicator_score as score_before,
        indicator_scores.effective_weight as weight_before
    from pairs
    inner join indicator_scores
        on pairs.account_id = indicator_scores.account_id
        and pairs.prior_date = indicator_scores.as_of_date
    where pairs.profile_now = pairs.profile_before
),

-- ... re-scored under today's profile when it changed (int_indicator_scores_daily's steps).
rescored as (
    select
        pairs.account_id,
        pairs.as_of_date,
        profile_indicators.indicator_id,
        profile_indicators.pillar,
        profile_indicators.weight as indicator_weight,
        pillar_weights.weight as pillar_weight,
        indicator_values.raw_value,
        {{ indicator_score_expression(
            'indicator_values.raw_value',
            'profile_indicators.scoring_method',
            'cast(profile_indicators.poor_value as ' ~ type_double() ~ ')',
            'cast(profile_indicators.good_value as ' ~ type_double() ~ ')',
            'profile_indicators.missing_policy',
        ) }} as indicator_score
    from pairs
    inner join profile_indicators
        on pairs.profile_now = profile_indicators.profile_id
    inner join pillar_weights
        on profile_indicators.profile_id = pillar_weights.profile_id
        and profile_indicators.pillar = pillar_weights.pillar
    left join indicator_values
        on pairs.account_id = indicator_values.account_id
        and pairs.prior_date = indicator_values.as_of_date
        and profile_indicators.indicator_id = indicator_values.indicator_id
    where pairs.profile_now <> pairs.profile_before
),

rescored_pillars as (
    select
        account_id,
        as_of_date,
        pillar,
        max(pillar_weight) as pillar_weight,
        sum(case when indicator_score is not null then indicator_weight else 0 end) as pillar_weight_in_use
    from rescored
    group by account_id, as_of_date, pillar
),

rescored_totals as (
    select
        account_id,
        as_of_date,
        sum(pillar_weight) as scored_pillar_weight
    from rescored_pillars
    where pillar_weight_in_use > 0
    group by account_id, as_of_date
),

prior_rows_other_profile as (
    select
        rescored.account_id,
        rescored.as_of_date,
        rescored.indicator_id,
        rescored.raw_value as value_before,
        rescored.indicator_score as score_before,
        case
            when rescored.indicator_score is not null and rescored_totals.scored_pillar_weight > 0
                then cast(rescored_pillars.pillar_weight as {{ type_double() }}) / rescored_totals.scored_pillar_weight
                    * rescored.indicator_weight / rescored_pillars.pillar_weight_in_use
            else 0.0
        end as weight_before
    from rescored
    inner join rescored_pillars
        on rescored.account_id = rescored_pillars.account_id
        and rescored.as_of_date = rescored_pillars.as_of_date
        and rescored.pillar = rescored_pillars.pillar
    left join rescored_totals
        on rescored.account_id = rescored_totals.account_id
        and rescored.as_of_date = rescored_totals.as_of_date
),

prior_rows as (
    select * from prior_rows_same_profile
    union all
    select * from prior_rows_other_profile
),

-- Each of today's indicators on both days, and its direct share of S1 - S0.
compared as (
    select
        current_rows.account_id,
        current_rows.as_of_date,
        current_rows.indicator_id,
        current_rows.nominal_weight,
        current_rows.value_now,
        prior_rows.value_before,
        current_rows.score_now,
        prior_rows.score_before,
        current_rows.weight_now,
        coalesce(prior_rows.weight_before, 0.0) as weight_before,
        (current_rows.score_now is null) <> (prior_rows.score_before is null) as is_data_change,
        case
            when current_rows.score_now is not null and prior_rows.score_before is not null
                then current_rows.weight_now * (current_rows.score_now - prior_rows.score_before)
            else 0.0
        end as own_change,
        coalesce(current_rows.weight_now * coalesce(prior_rows.score_before, current_rows.score_now), 0.0)
        - coalesce(prior_rows.weight_before * prior_rows.score_before, 0.0) as direct_change
    from current_rows
    left join prior_rows
        on current_rows.account_id = prior_rows.account_id
        and current_rows.as_of_date = prior_rows.as_of_date
        and current_rows.indicator_id = prior_rows.indicator_id
),

-- Per account-day: S0 (null when no indicator of today's profile was scored earlier), the
-- weight shift of the indicators scored on both days, and the nominal weight of those whose
-- data came or went (over which that shift is shared out).
totals as (
    select
        account_id,
        as_of_date,
        sum(case when score_before is not null then weight_before * score_before end) as rescored_before,
        sum(case when not is_data_change then direct_change else 0.0 end) as weight_shift,
        sum(case when is_data_change then nominal_weight else 0.0 end) as data_change_weight,
        sum(case when is_data_change then 1 else 0 end) as data_change_count
    from compared
    group by account_id, as_of_date
),

indicator_parts as (
    select
        compared.account_id,
        compared.as_of_date,
        case when compared.is_data_change then 'data_change' else 'indicator_change' end as part_kind,
        compared.indicator_id as part_key,
        case
            -- Nothing of today's profile was scored earlier: the profile part holds it all.
            when totals.rescored_before is null then 0.0
            when compared.is_data_change and totals.data_change_weight > 0
                then compared.direct_change
                + totals.weight_shift * compared.nominal_weight / totals.data_change_weight
            when compared.is_data_change
                then compared.direct_change + totals.weight_shift / totals.data_change_count
            else compared.own_change
        end as points,
        compared.value_before,
        compared.value_now
    from compared
    inner join totals
        on compared.account_id = totals.account_id
        and compared.as_of_date = totals.as_of_date
),

profile_parts as (
    select
        pairs.account_id,
        pairs.as_of_date,
        'profile_change' as part_kind,
        {{ dbt.concat(['pairs.profile_before', "' -> '", 'pairs.profile_now']) }} as part_key,
        coalesce(totals.rescored_before, pairs.score_now) - pairs.score_before as points,
        pairs.profile_before,
        pairs.profile_now
    from pairs
    inner join totals
        on pairs.account_id = totals.account_id
        and pairs.as_of_date = totals.as_of_date
    where pairs.profile_now <> pairs.profile_before
),

final as (
    select
        indicator_parts.account_id,
        indicator_parts.as_of_date,
        indicator_parts.part_kind,
        indicator_parts.part_key,
        cast(indicator_parts.points as {{ type_double() }}) as points,
        {{ health_reason_text('indicators.indicator_label', 'indicators.unit', 'indicator_parts.value_before',
            'indicator_parts.value_now', 'indicator_parts.points') }} as reason_text
    from indicator_parts
    inner join indicators
        on indicator_parts.part_key = indicators.indicator_id
    union all
    select
        account_id,
        as_of_date,
        part_kind,
        part_key,
        cast(points as {{ type_double() }}) as points,
        {{ profile_change_reason_text('profile_before', 'profile_now', 'points') }} as reason_text
    from profile_parts
)

select * from final
