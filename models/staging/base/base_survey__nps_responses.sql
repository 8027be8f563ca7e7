-- The current version of every NPS response, attributed to the CRM contact whose email
-- matches (case-insensitively), with the reason it is set aside.
with

source as (
    {{ latest_version(source('survey', 'nps_response'), 'id') }}
),

contacts as (
    -- Several contacts can share an email (duplicates in the CRM): take one, stably.
    select
        email,
        min(contact_id) as contact_id,
        min(account_id) as account_id
    from {{ ref('stg_crm__contacts') }}
    where email is not null
    group by email
),

renamed as (
    select
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
        renamed.nps_response_id,
        contacts.contact_id,
        contacts.account_id,
        renamed.email,
        renamed.nps_score,
        renamed.response_comment,
        false as is_deleted,
        renamed.responded_at,
        renamed.loaded_at,
        case
            when renamed.nps_response_id is null then 'null_key'
            when renamed.nps_score is null or renamed.nps_score < 0 or renamed.nps_score > 10
                then 'nps_out_of_range'
            when renamed.responded_at is null then 'null_timestamp'
            when {{ is_future_timestamp('renamed.responded_at', 'renamed.loaded_at') }} then 'future_timestamp'
            when contacts.contact_id is null then 'unknown_respondent'
        end as rejection_reason
    from renamed
    left join contacts
        on renamed.email = contacts.email
)

select * from checked
