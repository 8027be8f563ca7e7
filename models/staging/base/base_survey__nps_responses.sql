-- The current version of every NPS response, with the reason it is set aside when the
-- record itself is unusable. Its respondent (the CRM contact whose email matches,
-- case-insensitively) is checked in int_survey_rejected_rows and attached in
-- int_nps_responses_linked.
with

source as (
    {{ latest_version(source('survey', 'nps_response'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as nps_response_id,
        lower(trim(cast(email as {{ dbt.type_string() }}))) as email,
        cast(score as {{ dbt.type_int() }}) as nps_score,
        cast({{ adapter.quote('comment') }} as {{ dbt.type_string() }}) as response_comment,
        cast(created_at as {{ dbt.type_timestamp() }}) as responded_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        false as is_deleted,
        case
            when nps_response_id is null then 'null_key'
            when nps_score is null or nps_score < 0 or nps_score > 10 then 'nps_out_of_range'
            when responded_at is null then 'null_timestamp'
            when {{ is_future_timestamp('responded_at', 'loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from renamed
)

select * from checked
