-- One row per customer account and day of the scoring span: pillar scores, health
-- score, coverage and band by the contract's scoring semantics (steps 4-7), from
-- int_indicator_scores_daily and the account's health profile.
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

indicator_scores as (
    select
        account_id,
        as_of_date,
        pillar,
        indicator_weight,
        indicator_score,
        effective_weight,
        nominal_weight,
        is_missing
    from {{ ref('int_indicator_scores_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

account_days as (
    select * from {{ ref('int_account_days') }}
    where {{ in_scoring_span('as_of_date') }}
),

profiles as (
    select * from {{ ref('health_profiles') }}
),

-- One pass over the indicator rows: per pillar, the pillar's own weighted sums and the
-- pillar's exact partial sums of the account-level totals (summed again below).
pillar_sums as (
    select
        account_id,
        as_of_date,
        pillar,
        {{ clamp(
            exact_sum('case when indicator_score is not null then indicator_weight * indicator_score end')
            ~ ' / nullif(' ~ exact_sum('case when indicator_score is not null then indicator_weight else 0 end') ~ ', 0)',
            0, 100, 9
        ) }} as pillar_score,
        {{ exact_partial_sum('effective_weight * coalesce(indicator_score, 0)') }} as weighted_score_part,
        {{ exact_partial_sum('effective_weight') }} as effective_weight_part,
        {{ exact_partial_sum('case when not is_missing then nominal_weight else 0 end') }} as coverage_part
    from indicator_scores
    group by account_id, as_of_date, pillar
),

totals as (
    select
        account_id,
        as_of_date,
        max(case when pillar = 'engagement' then pillar_score end) as engagement_score,
        max(case when pillar = 'outcomes' then pillar_score end) as outcomes_score,
        max(case when pillar = 'relationship' then pillar_score end) as relationship_score,
        max(case when pillar = 'strategic' then pillar_score end) as strategic_score,
        {{ clamp(exact_to_double('sum(weighted_score_part)'), 0, 100, 9) }} as weighted_score,
        {{ exact_to_double('sum(effective_weight_part)') }} as effective_weight_total,
        -- Rounded so that float noise never flips a band at the min_coverage boundary.
        {{ clamp(exact_to_double('sum(coverage_part)'), 0, 1, 9) }} as coverage
    from pillar_sums
    group by account_id, as_of_date
),

final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        account_days.health_profile_id,
        account_days.lifecycle_stage,
        account_days.customer_tier,
        account_days.region,
        account_days.licensed_seats,
        account_days.arr,
        account_days.next_renewal_date,
        case when totals.effective_weight_total > 0 then totals.weighted_score end as health_score,
        totals.engagement_score,
        totals.outcomes_score,
        totals.relationship_score,
        totals.strategic_score,
        coalesce(totals.coverage, 0) as coverage,
        case
            when coalesce(totals.coverage, 0) < profiles.min_coverage
                or not totals.effective_weight_total > 0 then 'insufficient_data'
            when totals.weighted_score >= profiles.good_threshold then 'good'
            when totals.weighted_score < profiles.poor_threshold then 'poor'
            else 'average'
        end as health_band
    from account_days
    inner join profiles
        on account_days.health_profile_id = profiles.profile_id
    left join totals
        on account_days.account_id = totals.account_id
        and account_days.as_of_date = totals.as_of_date
)

select * from final
