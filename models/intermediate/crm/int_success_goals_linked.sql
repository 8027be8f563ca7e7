-- Usable success-plan goals: the staged rows (stg_crm__success_goals) minus those set
-- aside for their links (int_crm_rejected_rows), so each belongs to a usable account. A
-- view, like the staging model it filters: the rows are not stored twice.
{{ config(materialized='view') }}

with

success_goals as (
    select * from {{ ref('stg_crm__success_goals') }}
),

set_aside as (
    select record_id from {{ ref('int_crm_rejected_rows') }}
    where table_name = 'success_goal'
),

usable as (
    select success_goals.*
    from success_goals
    left join set_aside
        on success_goals.success_goal_id = set_aside.record_id
    where set_aside.record_id is null
)

select * from usable
