-- One row per customer account, day of the scoring span and indicator of the account's
-- health profile on that day: the indicator score (0-100) by the profile's scoring
-- method, the missing policy applied, and the nominal and effective weights of the
-- contract's scoring semantics (steps 2-4 and 6).
{{
    config(
        materialized='incremental',
        incremental_strategy='window_replace',
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily'],
    )
}}

with

account_days as (
    select * from {{ ref('int_account_days') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicator_values as (
    select * from {{ ref('int_indicator_values_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

profile_indicators as (
    select * from {{ ref('health_profile_indicators') }}
),

pillar_weights as (
    select * from {{ ref('health_pillar_weights') }}
),

-- Pillars that count for a profile: those with at least one indicator.
profile_pillars as (
    select
        pillar_weights.profile_id,
        pillar_weights.pillar,
        pillar_weights.weight as pillar_weight,
        sum(pillar_weights.weight) over (partition by pillar_weights.profile_id) as profile_pillar_weight
    from pillar_weights
    where exists (
        select 1 from profile_indicators
        where profile_indicators.profile_id = pillar_weights.profile_id
            and profile_indicators.pillar = pillar_weights.pillar
    )
),

definitions as (
    select
        profile_indicators.profile_id,
        profile_indicators.indicator_id,
        profile_indicators.pillar,
        profile_indicators.weight as indicator_weight,
        profile_indicators.scoring_method,
        profile_indicators.missing_policy,
        cast(profile_indicators.poor_value as {{ type_double() }}) as poor_value,
        cast(profile_indicators.good_value as {{ type_double() }}) as good_value,
        profile_pillars.pillar_weight,
        {{ clamp(
            'cast(profile_pillars.pillar_weight as ' ~ type_double() ~ ') / profile_pillars.profile_pillar_weight
            * profile_indicators.weight
            / sum(profile_indicators.weight) over (
                partition by profile_indicators.profile_id, profile_indicators.pillar
            )', 0, 1
        ) }} as nominal_weight
    from profile_indicators
    inner join profile_pillars
        on profile_indicators.profile_id = profile_pillars.profile_id
        and profile_indicators.pillar = profile_pillars.pillar
),

scored as (
    select
        account_days.account_id,
        account_days.as_of_date,
        account_days.health_profile_id,
        definitions.indicator_id,
        definitions.pillar,
        definitions.scoring_method,
        definitions.missing_policy,
        definitions.indicator_weight,
        definitions.pillar_weight,
        definitions.nominal_weight,
        indicator_values.raw_value,
        indicator_values.raw_value is null as is_missing,
        {{ indicator_score_expression(
            'indicator_values.raw_value', 'definitions.scoring_method', 'definitions.poor_value',
            'definitions.good_value', 'definitions.missing_policy',
        ) }} as indicator_score
    from account_days
    inner join definitions
        on account_days.health_profile_id = definitions.profile_id
    left join indicator_values
        on account_days.account_id = indicator_values.account_id
        and account_days.as_of_date = indicator_values.as_of_date
        and definitions.indicator_id = indicator_values.indicator_id
),

-- Weight left within each pillar once indicators left out (missing, policy `ignore`)
-- are removed; a pillar with none left has no score. (Group-bys joined back, not window
-- sums over the indicator rows: the same figures at a third of the cost on DuckDB.)
pillar_weights_in_use as (
    select
        account_id,
        as_of_date,
        pillar,
        max(pillar_weight) as pillar_weight,
        sum(case when indicator_score is not null then indicator_weight else 0 end) as pillar_weight_in_use
    from scored
    group by account_id, as_of_date, pillar
),

pillars_in_use as (
    select
        account_id,
        as_of_date,
        sum(pillar_weight) as scored_pillar_weight
    from pillar_weights_in_use
    where pillar_weight_in_use > 0
    group by account_id, as_of_date
),

pillar_totals as (
    select
        scored.*,
        pillar_weights_in_use.pillar_weight_in_use
    from scored
    inner join pillar_weights_in_use
        on scored.account_id = pillar_weights_in_use.account_id
        and scored.as_of_date = pillar_weights_in_use.as_of_date
        and scored.pillar = pillar_weights_in_use.pillar
),

final as (
    select
        pillar_totals.account_id,
        pillar_totals.as_of_date,
        pillar_totals.indicator_id,
        pillar_totals.health_profile_id,
        pillar_totals.pillar,
        pillar_totals.scoring_method,
        pillar_totals.missing_policy,
        pillar_totals.raw_value,
        pillar_totals.indicator_score,
        pillar_totals.is_missing,
        pillar_totals.indicator_weight,
        pillar_totals.pillar_weight,
        pillar_totals.nominal_weight,
        case
            when pillar_totals.indicator_score is not null
                and pillar_totals.pillar_weight_in_use > 0
                and pillars_in_use.scored_pillar_weight > 0
                then {{ clamp(
                    'cast(pillar_totals.pillar_weight as ' ~ type_double() ~ ') / pillars_in_use.scored_pillar_weight
                    * pillar_totals.indicator_weight / pillar_totals.pillar_weight_in_use', 0, 1
                ) }}
            else 0.0
        end as effective_weight
    from pillar_totals
    left join pillars_in_use
        on pillar_totals.account_id = pillars_in_use.account_id
        and pillar_totals.as_of_date = pillars_in_use.as_of_date
)

select * from final
