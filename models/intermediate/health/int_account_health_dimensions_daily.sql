-- One row per customer account and day of the scoring span: the two dimensions of the
-- relationship x impact map and the account's quadrant. A dimension score is the weighted
-- mean (seed health_dimension_indicators) of the scores of its indicators that have a
-- score on the day in the account's profile (int_indicator_scores_daily: the profile's
-- scoring method and missing policy applied); null when none has. The quadrant splits
-- each dimension at its threshold (seed health_dimensions); null when either is null.
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

account_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_health_scores') }}
    where {{ in_scoring_span('as_of_date') }}
),

indicator_scores as (
    select
        account_id,
        as_of_date,
        indicator_id,
        indicator_score
    from {{ ref('int_indicator_scores_daily') }}
    where {{ in_scoring_span('as_of_date') }}
        and indicator_score is not null
),

dimension_indicators as (
    select * from {{ ref('health_dimension_indicators') }}
),

thresholds as (
    {{ health_dimension_thresholds() | indent(4) }}
),

dimension_scores as (
    select
        indicator_scores.account_id,
        indicator_scores.as_of_date,
        dimension_indicators.dimension,
        {{ exact_sum('dimension_indicators.weight * indicator_scores.indicator_score') }}
        / nullif({{ exact_sum('dimension_indicators.weight') }}, 0) as dimension_score
    from indicator_scores
    inner join dimension_indicators
        on indicator_scores.indicator_id = dimension_indicators.indicator_id
    group by indicator_scores.account_id, indicator_scores.as_of_date, dimension_indicators.dimension
),

pivoted as (
    select
        account_id,
        as_of_date,
        max(case when dimension = 'relationship' then dimension_score end) as dimension_relationship_score,
        max(case when dimension = 'impact' then dimension_score end) as dimension_impact_score
    from dimension_scores
    group by account_id, as_of_date
),

final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        pivoted.dimension_relationship_score,
        pivoted.dimension_impact_score,
        {{ health_quadrant(
            'pivoted.dimension_relationship_score',
            'pivoted.dimension_impact_score',
            'thresholds.relationship_threshold',
            'thresholds.impact_threshold',
        ) | indent(8) }} as health_quadrant
    from account_days
    cross join thresholds
    left join pivoted
        on account_days.account_id = pivoted.account_id
        and account_days.as_of_date = pivoted.as_of_date
)

select * from final
