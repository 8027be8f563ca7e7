-- The current version of every billing customer, with its CRM link parsed out of the
-- metadata JSON and the reason it is set aside.
with

source as (
    {{ latest_version(source('billing', 'customer'), 'id') }}
),

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

renamed as (
    select
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
        renamed.*,
        case
            when renamed.customer_id is null then 'null_key'
            when renamed.metadata is not null and not {{ json_is_valid('renamed.metadata') }}
                then 'malformed_metadata'
            when renamed.account_id is null or trim(renamed.account_id) = '' then 'missing_crm_account_id'
            when accounts.account_id is null then 'orphan_account'
        end as rejection_reason
    from renamed
    left join accounts
        on renamed.account_id = accounts.account_id
)

select * from checked
