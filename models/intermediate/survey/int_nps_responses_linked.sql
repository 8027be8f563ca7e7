-- Usable NPS responses: the staged rows (stg_survey__nps_responses) minus those set aside
-- for their links (int_survey_rejected_rows), each attributed to the usable CRM contact
-- whose email matches (case-insensitively) and to that contact's account. A view, like
-- the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

nps_responses as (
    select * from {{ ref('stg_survey__nps_responses') }}
),

set_aside as (
    select record_id from {{ ref('int_survey_rejected_rows') }}
    where table_name = 'nps_response'
),

contacts as (
    -- Several contacts can share an email (duplicates in the CRM): take one, stably.
    select
        email,
        min(contact_id) as contact_id,
        min(account_id) as account_id
    from {{ ref('int_contacts_linked') }}
    where email is not null
    group by email
),

usable as (
    select
        nps_responses.nps_response_id,
        contacts.contact_id,
        contacts.account_id,
        nps_responses.email,
        nps_responses.nps_score,
        nps_responses.response_comment,
        nps_responses.responded_at,
        nps_responses.loaded_at
    from nps_responses
    left join set_aside
        on nps_responses.nps_response_id = set_aside.record_id
    left join contacts
        on nps_responses.email = contacts.email
    where set_aside.record_id is null
)

select * from usable
