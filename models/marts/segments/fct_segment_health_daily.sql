-- One row per segment (dimension and value) and as_of_date: accounts and ARR per health
-- band, ARR at risk, mean and ARR-weighted health score, and their change against 30
-- days earlier (same definition). Segment dimensions: customer_tier, region, industry,
-- lifecycle_stage, health_profile_id, owner_user_id, and `all` (one segment holding every
-- account: the company-wide figures, so that dashboards never aggregate account rows).
-- Incremental over the window vars.
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

{%- set dimensions = ['all', 'customer_tier', 'region', 'industry', 'lifecycle_stage', 'health_profile_id', 'owner_user_id'] %}

with

-- The effective band and score (a CSM override applied, marts contract).
scores as (
    select * from {{ ref('int_account_health_scores_overridden') }}
    where {{ in_scoring_span('as_of_date') }}
),

accounts as (
    select * from {{ ref('int_accounts_enriched') }}
),

definition as (
    select definition_version from {{ ref('int_health_definition_version') }}
),

account_days as (
    select
        scores.account_id,
        scores.as_of_date,
        scores.effective_health_band as health_band,
        scores.effective_health_score as health_score,
        coalesce(scores.arr, 0) as arr,
        coalesce(scores.customer_tier, 'unknown') as customer_tier,
        coalesce(scores.region, 'unknown') as region,
        coalesce(accounts.industry, 'unknown') as industry,
        scores.lifecycle_stage,
        scores.health_profile_id,
        coalesce(accounts.owner_user_id, 'unassigned') as owner_user_id
    from scores
    inner join accounts
        on scores.account_id = accounts.account_id
),

segment_days as (
    {% for dimension in dimensions %}
    select
        '{{ dimension }}' as segment_dimension,
        {% if dimension == 'all' -%}
        cast('all' as {{ dbt.type_string() }}) as segment_value,
        {%- else -%}
        cast({{ dimension }} as {{ dbt.type_string() }}) as segment_value,
        {%- endif %}
        as_of_date,
        health_band,
        health_score,
        arr
    from account_days
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

segments as (
    select
        segment_dimension,
        segment_value,
        as_of_date,
        cast(count(*) as {{ dbt.type_bigint() }}) as account_count,
        cast(sum(case when health_band = 'good' then 1 else 0 end) as {{ dbt.type_bigint() }}) as good_accounts,
        cast(sum(case when health_band = 'average' then 1 else 0 end) as {{ dbt.type_bigint() }}) as average_accounts,
        cast(sum(case when health_band = 'poor' then 1 else 0 end) as {{ dbt.type_bigint() }}) as poor_accounts,
        cast(sum(case when health_band = 'insufficient_data' then 1 else 0 end) as {{ dbt.type_bigint() }}) as insufficient_data_accounts,
        {{ exact_sum('arr') }} as arr,
        {{ exact_sum("case when health_band = 'good' then arr else 0 end") }} as good_arr,
        {{ exact_sum("case when health_band = 'average' then arr else 0 end") }} as average_arr,
        {{ exact_sum("case when health_band = 'poor' then arr else 0 end") }} as arr_at_risk,
        {{ exact_sum("case when health_band = 'insufficient_data' then arr else 0 end") }} as insufficient_data_arr,
        {{ exact_sum('case when health_score is not null then health_score end') }}
        / nullif(sum(case when health_score is not null then 1 else 0 end), 0) as mean_health_score,
        {{ exact_sum('case when health_score is not null then arr * health_score end') }}
        / nullif({{ exact_sum('case when health_score is not null then arr else 0 end') }}, 0)
            as arr_weighted_health_score
    from segment_days
    group by segment_dimension, segment_value, as_of_date
),

final as (
    select
        current_segments.segment_dimension,
        current_segments.segment_value,
        current_segments.as_of_date,
        definition.definition_version,
        current_segments.account_count,
        current_segments.good_accounts,
        current_segments.average_accounts,
        current_segments.poor_accounts,
        current_segments.insufficient_data_accounts,
        current_segments.arr,
        current_segments.good_arr,
        current_segments.average_arr,
        current_segments.arr_at_risk,
        current_segments.insufficient_data_arr,
        current_segments.good_arr / nullif(current_segments.arr, 0) as good_arr_share,
        current_segments.mean_health_score,
        current_segments.arr_weighted_health_score,
        current_segments.mean_health_score - prior_segments.mean_health_score as mean_health_score_change_30d,
        current_segments.arr_weighted_health_score - prior_segments.arr_weighted_health_score
            as arr_weighted_health_score_change_30d,
        current_segments.arr_at_risk - prior_segments.arr_at_risk as arr_at_risk_change_30d,
        current_segments.account_count - prior_segments.account_count as account_count_change_30d
    from segments as current_segments
    cross join definition
    left join segments as prior_segments
        on current_segments.segment_dimension = prior_segments.segment_dimension
        and current_segments.segment_value = prior_segments.segment_value
        and prior_segments.as_of_date
        = {{ add_days('current_segments.as_of_date', -var('score_change_days')) }}
    where current_segments.as_of_date >= {{ health_window_start() }}
        and current_segments.as_of_date < {{ health_window_end_exclusive() }}
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
