-- Usable opportunities: the staged rows (stg_crm__opportunities) minus those set aside
-- for their links (int_crm_rejected_rows), so each belongs to a usable account. A view,
-- like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

set_aside as (
    select record_id from {{ ref('int_crm_rejected_rows') }}
    where table_name = 'opportunity'
),

usable as (
    select opportunities.*
    from opportunities
    left join set_aside
        on opportunities.opportunity_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
