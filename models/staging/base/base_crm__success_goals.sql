-- The current version of every success-plan goal, with the reason it is set aside when
-- the record itself is unusable (its account is checked in int_crm_rejected_rows).
with

source as (
    {{ latest_version(source('crm', 'success_goal'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as success_goal_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(name as {{ dbt.type_string() }}) as goal_name,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as goal_status,
        coalesce(cast(validated_by_customer as boolean), false) as is_validated_by_customer,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(target_date as date) as target_date,
        cast(achieved_date as date) as achieved_date,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when success_goal_id is null then 'null_key'
        end as rejection_reason
    from renamed
)

select * from checked
