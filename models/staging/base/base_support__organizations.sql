-- The current version of every support organization, with the reason it is set aside
-- when the record itself is unusable (an organization without a CRM account id cannot
-- carry tickets). Whether the account it names is usable is checked in
-- int_support_rejected_rows.
with

source as (
    {{ latest_version(source('support', 'organization'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_bigint() }}) as organization_id,
        cast(external_id as {{ dbt.type_string() }}) as account_id,
        cast(name as {{ dbt.type_string() }}) as organization_name,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        false as is_deleted,
        case
            when organization_id is null then 'null_key'
            when account_id is null then 'missing_crm_account_id'
        end as rejection_reason
    from renamed
)

select * from checked
