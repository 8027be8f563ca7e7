-- Usable support organizations: the staged rows (stg_support__organizations) minus those
-- set aside for their links (int_support_rejected_rows), so each is linked to a usable
-- CRM account. A view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

organizations as (
    select * from {{ ref('stg_support__organizations') }}
),

set_aside as (
    select record_id from {{ ref('int_support_rejected_rows') }}
    where table_name = 'organization'
),

usable as (
    select organizations.*
    from organizations
    left join set_aside
        on cast(organizations.organization_id as {{ dbt.type_string() }}) = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
