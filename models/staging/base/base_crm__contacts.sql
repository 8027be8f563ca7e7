-- The current version of every CRM contact, with the reason it is set aside when the
-- record itself is unusable. Whether its account is usable is checked where both tables
-- are at hand: int_crm_rejected_rows.
with

source as (
    {{ latest_version(source('crm', 'contact'), 'id') }}
),

renamed as (
    select
        record_key,
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
        *,
        case
            when contact_id is null then 'null_key'
        end as rejection_reason
    from renamed
)

select * from checked
