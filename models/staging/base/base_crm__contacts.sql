-- The current version of every CRM contact, with the reason it is set aside.
with

source as (
    {{ latest_version(source('crm', 'contact'), 'id') }}
),

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        lower(trim(cast(email as {{ dbt.type_string() }}))) as email,
        cast(title as {{ dbt.type_string() }}) as title,
        lower(trim(cast(persona__c as {{ dbt.type_string() }}))) as persona,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        renamed.*,
        case
            when renamed.contact_id is null then 'null_key'
            when accounts.account_id is null then 'orphan_account'
        end as rejection_reason
    from renamed
    left join accounts
        on renamed.account_id = accounts.account_id
)

select * from checked
