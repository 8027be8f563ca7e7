{#- The scoring machinery of the marts contract (steps 2-7), for any scored subject: an
    account (key account_id) or a product module of an account (keys account_id,
    product_id). The account models (int_indicator_scores_daily, int_account_health_scores)
    and the product models (int_product_indicator_scores_daily, int_product_health_scores)
    call the same two macros, so a product is scored exactly as an account is, by the
    profile its rules assign (definition seeds, versioned together).

    Both return a complete query (starting with `with`): use it as the body of a CTE.
    Their own CTEs are prefixed `scoring_`, so the caller's CTE names stay free. -#}


{#- The pillars of the marts contract, in the order of its pillar score columns
    (engagement_score, outcomes_score, relationship_score, strategic_score). Seed
    health_pillars holds exactly these: int_health_definition_errors stops the build
    otherwise. -#}
{% macro health_pillar_ids() -%}
    {{ return(['engagement', 'outcomes', 'relationship', 'strategic']) }}
{%- endmacro %}


{#- health_indicator_scores: one row per subject, day and indicator of the subject's
    profile: the indicator score (0-100) by the profile's scoring method, the missing
    policy applied, and the nominal and effective weights (contract steps 2-4 and 6).
    - subject_days: a relation with key_columns, as_of_date and health_profile_id;
    - indicator_values: key_columns, as_of_date, indicator_id, raw_value (null: no data);
    - value_columns: instead of indicator_values (pass none), the ids of indicators whose
      raw values subject_days carries itself, one column per id named as the indicator (a
      model that computes its values from the same rows it scores: joining them back in
      long form cost half the query; docs/decisions/0022). An indicator of the profile
      that is not among them has no data, as one without a row in indicator_values.
    Output: key_columns, as_of_date, indicator_id, health_profile_id, pillar,
    scoring_method, missing_policy, raw_value, indicator_score, is_missing,
    indicator_weight, pillar_weight, nominal_weight, effective_weight. -#}
{% macro health_indicator_scores(subject_days, indicator_values, key_columns=['account_id'], value_columns=none) -%}
    {{ return(adapter.dispatch('health_indicator_scores', 'customer_health')(subject_days, indicator_values, key_columns, value_columns)) }}
{%- endmacro %}

{% macro default__health_indicator_scores(subject_days, indicator_values, key_columns, value_columns) -%}
    {%- set double_type = type_double() -%}
    {%- if (indicator_values is none) == (value_columns is none) -%}
        {{ exceptions.raise_compiler_error("health_indicator_scores takes either indicator_values or value_columns") }}
    {%- endif -%}
    {%- if value_columns is none -%}
        {%- set raw_value = 'indicator_values.raw_value' -%}
    {%- else -%}
        {%- set raw_value -%}
            case scoring_definitions.indicator_id
            {%- for indicator_id in value_columns %}
            when '{{ indicator_id }}' then cast(subject_days.{{ indicator_id }} as {{ double_type }})
            {%- endfor %}
        end
        {%- endset -%}
    {%- endif %}
with

scoring_profile_indicators as (
    select * from {{ ref('health_profile_indicators') }}
),

scoring_pillar_weights as (
    select * from {{ ref('health_pillar_weights') }}
),

-- Pillars that count for a profile: those with at least one indicator.
scoring_profile_pillars as (
    select
        scoring_pillar_weights.profile_id,
        scoring_pillar_weights.pillar,
        scoring_pillar_weights.weight as pillar_weight,
        sum(scoring_pillar_weights.weight) over (partition by scoring_pillar_weights.profile_id)
            as profile_pillar_weight
    from scoring_pillar_weights
    where exists (
        select 1 from scoring_profile_indicators
        where scoring_profile_indicators.profile_id = scoring_pillar_weights.profile_id
            and scoring_profile_indicators.pillar = scoring_pillar_weights.pillar
    )
),

scoring_definitions as (
    select
        row_number() over (
            order by scoring_profile_indicators.profile_id, scoring_profile_indicators.indicator_id
        ) as definition_index,
        scoring_profile_indicators.profile_id,
        scoring_profile_indicators.indicator_id,
        scoring_profile_indicators.pillar,
        scoring_profile_indicators.weight as indicator_weight,
        scoring_profile_indicators.scoring_method,
        scoring_profile_indicators.missing_policy,
        cast(scoring_profile_indicators.poor_value as {{ double_type }}) as poor_value,
        cast(scoring_profile_indicators.good_value as {{ double_type }}) as good_value,
        scoring_profile_pillars.pillar_weight,
        {{ clamp(
            'cast(scoring_profile_pillars.pillar_weight as ' ~ double_type ~ ') / scoring_profile_pillars.profile_pillar_weight
            * scoring_profile_indicators.weight
            / sum(scoring_profile_indicators.weight) over (
                partition by scoring_profile_indicators.profile_id, scoring_profile_indicators.pillar
            )', 0, 1
        ) }} as nominal_weight
    from scoring_profile_indicators
    inner join scoring_profile_pillars
        on scoring_profile_indicators.profile_id = scoring_profile_pillars.profile_id
        and scoring_profile_indicators.pillar = scoring_profile_pillars.pillar
),

-- Every indicator of the subject's profile on each of its days: its raw value and the
-- definition's row, by its index (the rows below are read twice, and DuckDB keeps them:
-- narrow rows; docs/decisions/0025).
scoring_inputs as (
    select
        {%- for key in key_columns %}
        subject_days.{{ key }},
        {%- endfor %}
        subject_days.as_of_date,
        scoring_definitions.definition_index,
        scoring_definitions.scoring_method,
        scoring_definitions.missing_policy,
        scoring_definitions.poor_value,
        scoring_definitions.good_value,
        {{ raw_value }} as raw_value
    from {{ subject_days }} as subject_days
    inner join scoring_definitions
        on subject_days.health_profile_id = scoring_definitions.profile_id
    {%- if value_columns is none %}
    left join {{ indicator_values }} as indicator_values
        on subject_days.as_of_date = indicator_values.as_of_date
        {%- for key in key_columns %}
        and subject_days.{{ key }} = indicator_values.{{ key }}
        {%- endfor %}
        and scoring_definitions.indicator_id = indicator_values.indicator_id
    {%- endif %}
),

scoring_scored as (
    select
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        as_of_date,
        definition_index,
        raw_value,
        {{ indicator_score_expression(
            'raw_value', 'scoring_method', 'poor_value', 'good_value', 'missing_policy',
        ) }} as indicator_score
    from scoring_inputs
),

-- Per subject and day, for each pillar of the contract (macro health_pillar_ids): its
-- weight, and the weight of its indicators that scored (left out: missing, policy
-- `ignore`); a pillar with none left has no score. One group-by per subject-day with the
-- pillars as columns, joined back once (not per pillar and then per day, joined back
-- twice: decision 0025 has the measurements).
scoring_weights_in_use as (
    select
        {%- for key in key_columns %}
        scoring_scored.{{ key }},
        {%- endfor %}
        scoring_scored.as_of_date,
        {%- for pillar in health_pillar_ids() %}
        max(case when scoring_definitions.pillar = '{{ pillar }}' then scoring_definitions.pillar_weight end)
            as {{ pillar }}_weight,
        sum(
            case
                when scoring_definitions.pillar = '{{ pillar }}' and scoring_scored.indicator_score is not null
                    then scoring_definitions.indicator_weight
                else 0
            end
        ) as {{ pillar }}_weight_in_use{{ ',' if not loop.last }}
        {%- endfor %}
    from scoring_scored
    inner join scoring_definitions
        on scoring_scored.definition_index = scoring_definitions.definition_index
    group by {% for key in key_columns %}scoring_scored.{{ key }}, {% endfor %}scoring_scored.as_of_date
),

-- The weight of the pillars that have a score.
scoring_day_weights as (
    select
        *,
        {%- for pillar in health_pillar_ids() %}
        case when {{ pillar }}_weight_in_use > 0 then {{ pillar }}_weight else 0 end
            {{- ' +' if not loop.last }}
        {%- endfor %}
            as scored_pillar_weight
    from scoring_weights_in_use
),

scoring_weighted as (
    select
        {%- for key in key_columns %}
        scoring_scored.{{ key }},
        {%- endfor %}
        scoring_scored.as_of_date,
        scoring_definitions.indicator_id,
        scoring_definitions.profile_id as health_profile_id,
        scoring_definitions.pillar,
        scoring_definitions.scoring_method,
        scoring_definitions.missing_policy,
        scoring_scored.raw_value,
        scoring_scored.indicator_score,
        scoring_scored.raw_value is null as is_missing,
        scoring_definitions.indicator_weight,
        scoring_definitions.pillar_weight,
        scoring_definitions.nominal_weight,
        case scoring_definitions.pillar
            {%- for pillar in health_pillar_ids() %}
            when '{{ pillar }}' then scoring_day_weights.{{ pillar }}_weight_in_use
            {%- endfor %}
        end as pillar_weight_in_use,
        scoring_day_weights.scored_pillar_weight
    from scoring_scored
    inner join scoring_definitions
        on scoring_scored.definition_index = scoring_definitions.definition_index
    inner join scoring_day_weights
        on scoring_scored.as_of_date = scoring_day_weights.as_of_date
        {%- for key in key_columns %}
        and scoring_scored.{{ key }} = scoring_day_weights.{{ key }}
        {%- endfor %}
)

select
    {%- for key in key_columns %}
    {{ key }},
    {%- endfor %}
    as_of_date,
    indicator_id,
    health_profile_id,
    pillar,
    scoring_method,
    missing_policy,
    raw_value,
    indicator_score,
    is_missing,
    indicator_weight,
    pillar_weight,
    nominal_weight,
    case
        when indicator_score is not null
            and pillar_weight_in_use > 0
            and scored_pillar_weight > 0
            then {{ clamp(
                'cast(pillar_weight as ' ~ double_type ~ ') / scored_pillar_weight
                * indicator_weight / pillar_weight_in_use', 0, 1
            ) }}
        else 0.0
    end as effective_weight
from scoring_weighted
{%- endmacro %}


{#- health_scores: one row per subject and day of `subject_days`: pillar scores, health
    score, coverage and band (contract steps 4-7) from the rows of
    health_indicator_scores and the subject's profile (seed health_profiles).
    - indicator_scores: the output of health_indicator_scores (its columns at least
      key_columns, as_of_date, pillar, indicator_weight, indicator_score,
      effective_weight, nominal_weight, is_missing);
    - subject_days: key_columns, as_of_date, health_profile_id and `carry_columns`,
      passed through after health_profile_id.
    Output: key_columns, as_of_date, health_profile_id, carry_columns, health_score,
    engagement_score, outcomes_score, relationship_score, strategic_score, coverage,
    health_band. -#}
{% macro health_scores(indicator_scores, subject_days, key_columns=['account_id'], carry_columns=[]) -%}
    {{ return(adapter.dispatch('health_scores', 'customer_health')(indicator_scores, subject_days, key_columns, carry_columns)) }}
{%- endmacro %}

{% macro default__health_scores(indicator_scores, subject_days, key_columns, carry_columns) -%}
with

scoring_profiles as (
    select * from {{ ref('health_profiles') }}
),

-- One pass over the indicator rows, one group per subject and day with the pillars as
-- columns: each pillar's score, and the subject's totals as exact sums (not per pillar and
-- then per day: decision 0025 has the measurements).
scoring_totals as (
    select
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        as_of_date,
        {%- for pillar in health_pillar_ids() %}
        {%- set scored = "pillar = '" ~ pillar ~ "' and indicator_score is not null" %}
        {{ clamp(
            exact_sum('case when ' ~ scored ~ ' then indicator_weight * indicator_score end')
            ~ ' / nullif(' ~ exact_sum('case when ' ~ scored ~ ' then indicator_weight else 0 end') ~ ', 0)',
            0, 100, 9
        ) }} as {{ pillar }}_score,
        {%- endfor %}
        {{ clamp(exact_sum('effective_weight * coalesce(indicator_score, 0)'), 0, 100, 9) }} as weighted_score,
        {{ exact_sum('effective_weight') }} as effective_weight_total,
        -- Rounded so that float noise never flips a band at the min_coverage boundary.
        {{ clamp(exact_sum('case when not is_missing then nominal_weight else 0 end'), 0, 1, 9) }} as coverage
    from {{ indicator_scores }}
    group by {% for key in key_columns %}{{ key }}, {% endfor %}as_of_date
)

select
    {%- for key in key_columns %}
    subject_days.{{ key }},
    {%- endfor %}
    subject_days.as_of_date,
    subject_days.health_profile_id,
    {%- for column in carry_columns %}
    subject_days.{{ column }},
    {%- endfor %}
    case when scoring_totals.effective_weight_total > 0 then scoring_totals.weighted_score end as health_score,
    {%- for pillar in health_pillar_ids() %}
    scoring_totals.{{ pillar }}_score,
    {%- endfor %}
    coalesce(scoring_totals.coverage, 0) as coverage,
    case
        when coalesce(scoring_totals.coverage, 0) < scoring_profiles.min_coverage
            or not scoring_totals.effective_weight_total > 0 then 'insufficient_data'
        when scoring_totals.weighted_score >= scoring_profiles.good_threshold then 'good'
        when scoring_totals.weighted_score < scoring_profiles.poor_threshold then 'poor'
        else 'average'
    end as health_band
from {{ subject_days }} as subject_days
inner join scoring_profiles
    on subject_days.health_profile_id = scoring_profiles.profile_id
left join scoring_totals
    on subject_days.as_of_date = scoring_totals.as_of_date
    {%- for key in key_columns %}
    and subject_days.{{ key }} = scoring_totals.{{ key }}
    {%- endfor %}
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    Relationship x impact: the quadrant of a pair of dimension scores, by the thresholds
    of seed health_dimensions (strong / high at or above the threshold; scores rounded to
    9 decimals first, so that float noise never flips a quadrant at a threshold). Null
    when either score is null. -#}
{% macro health_quadrant(relationship_score, impact_score, relationship_threshold, impact_threshold) -%}
    {%- set strong = 'round(' ~ relationship_score ~ ', 9) >= ' ~ relationship_threshold -%}
    {%- set high = 'round(' ~ impact_score ~ ', 9) >= ' ~ impact_threshold -%}
    case
        when {{ relationship_score }} is null or {{ impact_score }} is null then null
        when {{ strong }} and {{ high }} then 'strong_relationship_high_impact'
        when {{ high }} then 'weak_relationship_high_impact'
        when {{ strong }} then 'strong_relationship_low_impact'
        else 'weak_relationship_low_impact'
    end
{%- endmacro %}

{#- One row with the two thresholds of seed health_dimensions as doubles:
    relationship_threshold, impact_threshold. -#}
{% macro health_dimension_thresholds() -%}
    select
        max(case when dimension = 'relationship' then cast(strong_threshold as {{ type_double() }}) end)
            as relationship_threshold,
        max(case when dimension = 'impact' then cast(strong_threshold as {{ type_double() }}) end)
            as impact_threshold
    from {{ ref('health_dimensions') }}
{%- endmacro %}


{#- An indicator's score (0-100) from its raw value by the marts contract (step 2 and 3):
    `linear` 0 at the poor value, 100 at the good value, a straight line between, clamped,
    the direction following from which value is larger; `bands` 0 / 50 / 100 with the two
    values as cut points; a missing raw value scores by the missing policy (`neutral` 50,
    `poor` 0, `ignore` null: left out). One expression for int_indicator_scores_daily and
    for re-scoring an earlier day under another profile (int_health_score_change_parts). -#}
{% macro indicator_score_expression(raw_value, scoring_method, poor_value, good_value, missing_policy) -%}
    {{ return(adapter.dispatch('indicator_score_expression', 'customer_health')(raw_value, scoring_method, poor_value, good_value, missing_policy)) }}
{%- endmacro %}

{% macro default__indicator_score_expression(raw_value, scoring_method, poor_value, good_value, missing_policy) -%}
    case
        when {{ raw_value }} is null then
            case {{ missing_policy }} when 'neutral' then 50.0 when 'poor' then 0.0 end
        when {{ scoring_method }} = 'linear' then
            greatest(0.0, least(100.0,
                100.0 * ({{ raw_value }} - {{ poor_value }})
                / ({{ good_value }} - {{ poor_value }})
            ))
        when {{ good_value }} > {{ poor_value }} and {{ raw_value }} >= {{ good_value }}
            then 100.0
        when {{ good_value }} > {{ poor_value }} and {{ raw_value }} <= {{ poor_value }}
            then 0.0
        when {{ good_value }} < {{ poor_value }} and {{ raw_value }} <= {{ good_value }}
            then 100.0
        when {{ good_value }} < {{ poor_value }} and {{ raw_value }} >= {{ poor_value }}
            then 0.0
        else 50.0
    end
{%- endmacro %}
