-- Current nps responses that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_survey__nps_responses excluded. Their
-- links to other tables are checked downstream: read int_nps_responses_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_survey__nps_responses') }}
),

usable as (
    select
        nps_response_id,
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
