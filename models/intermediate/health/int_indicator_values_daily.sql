-- One row per customer account, day of the scoring span and indicator of the catalogue
-- (seed health_indicators): the indicator's raw value as of the end of the day,
-- computed from event history so that any past day can be recomputed. A null
-- raw_value means "no data" (its profile's missing policy then applies).
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='as_of_date' if target.type == 'spark' else none,
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily', 'event_history'],
    )
}}

with

account_days as (
    select * from {{ ref('int_account_days') }}
    where {{ in_scoring_span('as_of_date') }}
),

usage as (
    select * from {{ ref('int_usage_metrics_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

meetings as (
    select
        account_id,
        meeting_type,
        cast(meeting_at as date) as meeting_date,
        contact_persona as persona
    from {{ ref('int_meetings_linked') }}
    where cast(meeting_at as date) <= {{ health_window_end() }}
),

nps_responses as (
    select
        account_id,
        nps_score,
        cast(responded_at as date) as response_date
    from {{ ref('int_nps_responses_linked') }}
),

tickets as (
    select
        account_id,
        ticket_priority,
        satisfaction_rating,
        cast(created_at as date) as created_date,
        cast(solved_at as date) as solved_date
    from {{ ref('int_support_tickets_linked') }}
),

invoices as (
    select
        customers.account_id,
        invoices.invoice_status,
        cast(invoices.created_at as date) as created_date,
        cast(invoices.due_at as date) as due_date,
        cast(invoices.paid_at as date) as paid_date
    from {{ ref('int_invoices_linked') }} as invoices
    inner join {{ ref('int_billing_customers_linked') }} as customers
        on invoices.customer_id = customers.customer_id
    where invoices.amount_due > 0
        and invoices.invoice_status not in ('void', 'draft')
),

goals as (
    select * from {{ ref('int_success_goals_linked') }}
),

exec_meetings as (
    select
        account_days.account_id,
        account_days.as_of_date,
        max(meetings.meeting_date) as last_exec_meeting_date
    from account_days
    inner join meetings
        on account_days.account_id = meetings.account_id
        and meetings.meeting_date <= account_days.as_of_date
    where meetings.persona in ('executive_sponsor', 'decision_maker')
        and meetings.meeting_type in ('EBR', 'QBR', 'Meeting')
    group by account_days.account_id, account_days.as_of_date
),

stakeholders as (
    select
        account_days.account_id,
        account_days.as_of_date,
        count(distinct meetings.persona) as personas_met_90d
    from account_days
    inner join meetings
        on account_days.account_id = meetings.account_id
        and meetings.meeting_date <= account_days.as_of_date
        and meetings.meeting_date > {{ add_days('account_days.as_of_date', -90) }}
    where meetings.persona in ('executive_sponsor', 'decision_maker', 'champion')
    group by account_days.account_id, account_days.as_of_date
),

training as (
    select
        account_days.account_id,
        account_days.as_of_date,
        count(*) as training_meetings
    from account_days
    inner join meetings
        on account_days.account_id = meetings.account_id
        and meetings.meeting_date <= account_days.as_of_date
        and meetings.meeting_date >= account_days.first_subscription_date
    where meetings.meeting_type = 'Training'
    group by account_days.account_id, account_days.as_of_date
),

nps as (
    select
        account_days.account_id,
        account_days.as_of_date,
        100 * cast(
            sum(case when nps_responses.nps_score >= 9 then 1 else 0 end)
            - sum(case when nps_responses.nps_score <= 6 then 1 else 0 end)
        as {{ type_double() }}) / count(*) as nps
    from account_days
    inner join nps_responses
        on account_days.account_id = nps_responses.account_id
        and nps_responses.response_date <= account_days.as_of_date
        and nps_responses.response_date > {{ add_days('account_days.as_of_date', -180) }}
    group by account_days.account_id, account_days.as_of_date
),

support as (
    select
        account_days.account_id,
        account_days.as_of_date,
        sum(
            case
                when tickets.ticket_priority in ('high', 'urgent')
                    and (tickets.solved_date is null or tickets.solved_date > account_days.as_of_date)
                    then 1 else 0
            end
        ) as open_high_urgent_tickets,
        sum(
            case
                when tickets.created_date > {{ add_days('account_days.as_of_date', -90) }}
                    and tickets.satisfaction_rating = 'bad' then 1 else 0
            end
        ) as bad_csat_90d,
        sum(
            case
                when tickets.created_date > {{ add_days('account_days.as_of_date', -90) }}
                    and tickets.satisfaction_rating in ('good', 'bad') then 1 else 0
            end
        ) as rated_90d
    from account_days
    inner join tickets
        on account_days.account_id = tickets.account_id
        and tickets.created_date <= account_days.as_of_date
    group by account_days.account_id, account_days.as_of_date
),

payments as (
    select
        account_days.account_id,
        account_days.as_of_date,
        max({{ dbt.datediff('invoices.due_date', 'account_days.as_of_date', 'day') }}) as days_past_due
    from account_days
    inner join invoices
        on account_days.account_id = invoices.account_id
        and invoices.created_date <= account_days.as_of_date
        and invoices.due_date < account_days.as_of_date
        -- Debts older than 180 days are written off or in collection: a matter for
        -- finance, not a daily health signal (else one old invoice pins it for years).
        and invoices.due_date >= {{ add_days('account_days.as_of_date', -180) }}
    where (invoices.paid_date is null and invoices.invoice_status in ('open', 'uncollectible'))
        or invoices.paid_date > account_days.as_of_date
    group by account_days.account_id, account_days.as_of_date
),

goal_attainment as (
    select
        account_days.account_id,
        account_days.as_of_date,
        sum(
            case
                when goals.achieved_date <= account_days.as_of_date and goals.is_validated_by_customer then 1.0
                when goals.achieved_date <= account_days.as_of_date then 0.6
                else 0.0
            end
        ) / count(*) as goal_attainment
    from account_days
    inner join goals
        on account_days.account_id = goals.account_id
        and goals.target_date <= account_days.as_of_date
    group by account_days.account_id, account_days.as_of_date
),

measures as (
    select
        account_days.account_id,
        account_days.as_of_date,
        account_days.lifecycle_stage,
        account_days.first_subscription_date,
        usage.licensed_seats,
        usage.active_users_30d,
        usage.licensed_active_users_30d,
        usage.active_users_prior_30d,
        usage.key_features_used_30d,
        usage.key_features_licensed,
        exec_meetings.last_exec_meeting_date,
        coalesce(stakeholders.personas_met_90d, 0) as personas_met_90d,
        coalesce(training.training_meetings, 0) as training_meetings,
        nps.nps,
        coalesce(support.open_high_urgent_tickets, 0) as open_high_urgent_tickets,
        coalesce(support.bad_csat_90d, 0) as bad_csat_90d,
        coalesce(support.rated_90d, 0) as rated_90d,
        coalesce(payments.days_past_due, 0) as days_past_due,
        goal_attainment.goal_attainment
    from account_days
    left join usage
        on account_days.account_id = usage.account_id
        and account_days.as_of_date = usage.as_of_date
    left join exec_meetings
        on account_days.account_id = exec_meetings.account_id
        and account_days.as_of_date = exec_meetings.as_of_date
    left join stakeholders
        on account_days.account_id = stakeholders.account_id
        and account_days.as_of_date = stakeholders.as_of_date
    left join training
        on account_days.account_id = training.account_id
        and account_days.as_of_date = training.as_of_date
    left join nps
        on account_days.account_id = nps.account_id
        and account_days.as_of_date = nps.as_of_date
    left join support
        on account_days.account_id = support.account_id
        and account_days.as_of_date = support.as_of_date
    left join payments
        on account_days.account_id = payments.account_id
        and account_days.as_of_date = payments.as_of_date
    left join goal_attainment
        on account_days.account_id = goal_attainment.account_id
        and account_days.as_of_date = goal_attainment.as_of_date
),

values_wide as (
    select
        account_id,
        as_of_date,
        case
            when licensed_seats > 0 then cast(licensed_active_users_30d as {{ type_double() }}) / licensed_seats
        end as license_utilization,
        case
            when active_users_prior_30d > 0
                then cast(active_users_30d - active_users_prior_30d as {{ type_double() }}) / active_users_prior_30d
        end as active_user_trend,
        case
            when key_features_licensed > 0 then cast(key_features_used_30d as {{ type_double() }}) / key_features_licensed
        end as feature_breadth,
        cast({{ dbt.datediff('last_exec_meeting_date', 'as_of_date', 'day') }} as {{ type_double() }})
            as exec_engagement,
        cast(personas_met_90d as {{ type_double() }}) / 3 as stakeholder_coverage,
        nps,
        open_high_urgent_tickets
        + case when rated_90d > 0 then 10 * cast(bad_csat_90d as {{ type_double() }}) / rated_90d else 0.0 end as support_burden,
        cast(days_past_due as {{ type_double() }}) as payment_health,
        goal_attainment,
        case
            when lifecycle_stage = 'onboarding' then
                least(
                    1.5,
                    (
                        (case when active_users_30d > 0 then 1 else 0 end)
                        + (case when training_meetings > 0 then 1 else 0 end)
                        + (case when licensed_seats > 0 and cast(licensed_active_users_30d as {{ type_double() }}) / licensed_seats >= 0.5 then 1 else 0 end)
                        + (case when key_features_used_30d >= 3 then 1 else 0 end)
                    ) / 4.0
                    / greatest(
                        0.25,
                        cast({{ dbt.datediff('first_subscription_date', 'as_of_date', 'day') }} + 1 as {{ type_double() }}) / {{ var('onboarding_days') }}
                    )
                )
        end as onboarding_progress
    from measures
),

definition as (
    select indicators_definition_version from {{ ref('int_health_definition_version') }}
),

final as (
    {%- set indicator_ids = ['license_utilization', 'active_user_trend', 'feature_breadth', 'exec_engagement',
        'stakeholder_coverage', 'nps', 'support_burden', 'payment_health', 'goal_attainment', 'onboarding_progress'] %}
    {% for indicator_id in indicator_ids %}
    select
        values_wide.account_id,
        values_wide.as_of_date,
        '{{ indicator_id }}' as indicator_id,
        cast(values_wide.{{ indicator_id }} as {{ type_double() }}) as raw_value,
        definition.indicators_definition_version
    from values_wide
    cross join definition
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
