-- The current version of every billing customer, with its CRM link parsed out of the
-- metadata JSON and the reason it is set aside when the record itself is unusable.
-- Whether the CRM account it names is usable is checked in int_billing_rejected_rows.
with

source as (
    {{ latest_version(source('billing', 'customer'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as customer_id,
        case
            when {{ json_is_valid('metadata') }}
                then {{ json_extract_text('metadata', 'crm_account_id') }}
        end as account_id,
        cast(name as {{ dbt.type_string() }}) as customer_name,
        lower(trim(cast(email as {{ dbt.type_string() }}))) as email,
        upper(trim(cast(currency as {{ dbt.type_string() }}))) as currency_code,
        cast(metadata as {{ dbt.type_string() }}) as metadata,
        coalesce(cast(delinquent as boolean), false) as is_delinquent,
        coalesce(cast(deleted as boolean), false) as is_deleted,
        cast(created as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when customer_id is null then 'null_key'
            when metadata is not null and not {{ json_is_valid('metadata') }} then 'malformed_metadata'
            when account_id is null or trim(account_id) = '' then 'missing_crm_account_id'
        end as rejection_reason
    from renamed
)

select * from checked
