-- One row per survey record set aside, with the reason: set aside by staging (a problem
-- within the record, see the base models) or here, where its respondent is looked up:
-- an NPS response whose email is no usable CRM contact's (`unknown_respondent`). The
-- usable model (int_nps_responses_linked) is the staged rows minus these;
-- dq_rejected_rows publishes them.
with

contact_emails as (
    select distinct email
    from {{ ref('int_contacts_linked') }}
    where email is not null
),

-- The staged rows (those of stg_survey__nps_responses): current, not deleted, not set
-- aside by staging. Only the respondent is left to check.
nps_responses as (
    select * from {{ ref('base_survey__nps_responses') }}
    where not is_deleted and rejection_reason is null
),

set_aside_by_staging as (
    {{ set_aside_by_staging('survey') | indent(4) }}
),

-- In the shape of set_aside_by_staging; reason null = usable.
nps_responses_checked as (
    select
        'nps_response' as table_name,
        nps_responses.record_key,
        nps_responses.nps_response_id as record_id,
        case
            when contact_emails.email is null then 'unknown_respondent'
        end as reason,
        nps_responses.loaded_at
    from nps_responses
    left join contact_emails
        on nps_responses.email = contact_emails.email
),

unioned as (
    select * from set_aside_by_staging
    union all
    select * from nps_responses_checked
    where reason is not null
),

final as (
    select
        cast('survey' as {{ dbt.type_string() }}) as source_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        record_key,
        record_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        loaded_at
    from unioned
)

select * from final
