-- Usable, current nps responses: the latest version of each record, soft-deleted
-- records excluded, rows set aside by base_survey__nps_responses (see dq_rejected_rows) excluded.
with

source as (
    select * from {{ ref('base_survey__nps_responses') }}
),

usable as (
    select
        nps_response_id,
        contact_id,
        account_id,
        email,
        nps_score,
        response_comment,
        responded_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
