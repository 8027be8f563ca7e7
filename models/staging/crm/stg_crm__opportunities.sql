-- Current opportunities that are usable as records: the latest version of each record,
-- soft-deleted records and rows set aside by base_crm__opportunities excluded. Their
-- links to other tables are checked downstream: read int_opportunities_linked
-- (dq_rejected_rows lists every record set aside).
with

source as (
    select * from {{ ref('base_crm__opportunities') }}
),

usable as (
    select
        opportunity_id,
        account_id,
        opportunity_name,
        opportunity_type,
        stage_name,
        currency_code,
        amount,
        is_closed,
        is_won,
        close_date,
        created_at,
        loaded_at
    from source
    where not is_deleted
        and rejection_reason is null
)

select * from usable
