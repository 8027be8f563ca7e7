-- The current version of every CRM opportunity, with the reason it is set aside when the
-- record itself is unusable (its account is checked in int_crm_rejected_rows).
with

source as (
    {{ latest_version(source('crm', 'opportunity'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(name as {{ dbt.type_string() }}) as opportunity_name,
        cast(type as {{ dbt.type_string() }}) as opportunity_type,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        upper(trim(cast(currency_iso_code as {{ dbt.type_string() }}))) as currency_code,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        coalesce(cast(is_closed as boolean), false) as is_closed,
        coalesce(cast(is_won as boolean), false) as is_won,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(close_date as date) as close_date,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when opportunity_id is null then 'null_key'
            when amount < 0 then 'nonpositive_amount'
        end as rejection_reason
    from renamed
)

select * from checked
