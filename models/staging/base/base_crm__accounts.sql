-- The current version of every CRM account, typed and renamed, with the reason it is
-- set aside (null when usable). Hierarchy problems (cycles, self-parents, missing
-- parents) are not rejections: see int_account_hierarchy_links.
with

source as (
    {{ latest_version(source('crm', 'account'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as account_id,
        cast(parent_id as {{ dbt.type_string() }}) as parent_account_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_user_id,
        cast(name as {{ dbt.type_string() }}) as account_name,
        cast(type as {{ dbt.type_string() }}) as account_type,
        cast(industry as {{ dbt.type_string() }}) as industry,
        upper(trim(cast(billing_country as {{ dbt.type_string() }}))) as billing_country,
        lower(trim(cast(customer_tier__c as {{ dbt.type_string() }}))) as customer_tier,
        lower(trim(cast(support_package__c as {{ dbt.type_string() }}))) as support_package,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when account_id is null then 'null_key'
        end as rejection_reason
    from renamed
)

select * from checked
