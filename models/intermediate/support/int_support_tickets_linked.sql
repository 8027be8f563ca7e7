-- Usable support tickets: the staged rows (stg_support__tickets) minus those set aside
-- for their links (int_support_rejected_rows), each attributed to its organization's CRM
-- account. A view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

set_aside as (
    select record_id from {{ ref('int_support_rejected_rows') }}
    where table_name = 'ticket'
),

-- The organization of a usable ticket is a usable organization (else the ticket is set
-- aside as orphan_organization), so the staged organization gives its account.
organizations as (
    select
        organization_id,
        account_id
    from {{ ref('stg_support__organizations') }}
),

usable as (
    select
        tickets.ticket_id,
        tickets.organization_id,
        organizations.account_id,
        tickets.requester_email,
        tickets.ticket_priority,
        tickets.ticket_status,
        tickets.ticket_type,
        tickets.satisfaction_rating,
        tickets.created_at,
        tickets.solved_at,
        tickets.loaded_at
    from tickets
    left join set_aside
        on cast(tickets.ticket_id as {{ dbt.type_string() }}) = set_aside.record_id
    left join organizations
        on tickets.organization_id = organizations.organization_id
    where set_aside.record_id is null
)

select * from usable
