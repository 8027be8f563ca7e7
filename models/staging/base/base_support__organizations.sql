-- The current version of every support organization, linked to its CRM account, with
-- the reason it is set aside (an organization we cannot link cannot carry tickets).
with

source as (
    {{ latest_version(source('support', 'organization'), 'id') }}
),

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_bigint() }}) as organization_id,
        cast(external_id as {{ dbt.type_string() }}) as account_id,
        cast(name as {{ dbt.type_string() }}) as organization_name,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        renamed.*,
        false as is_deleted,
        case
            when renamed.organization_id is null then 'null_key'
            when renamed.account_id is null then 'missing_crm_account_id'
            when accounts.account_id is null then 'orphan_account'
        end as rejection_reason
    from renamed
    left join accounts
        on renamed.account_id = accounts.account_id
)

select * from checked
