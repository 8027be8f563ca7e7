-- The current version of every product user (seat holder), with the reason it is set
-- aside when the record itself is unusable (its account is checked in
-- int_product_rejected_rows).
with

source as (
    {{ latest_version(source('product', 'users'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as user_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        lower(trim(cast(email as {{ dbt.type_string() }}))) as email,
        lower(trim(cast(role as {{ dbt.type_string() }}))) as user_role,
        coalesce(cast(is_licensed as boolean), false) as is_licensed,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(deactivated_at as {{ dbt.type_timestamp() }}) as deactivated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        false as is_deleted,
        case
            when user_id is null then 'null_key'
        end as rejection_reason
    from renamed
)

select * from checked
