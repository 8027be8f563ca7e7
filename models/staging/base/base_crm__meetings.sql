-- The current version of every meeting or call logged in the CRM (crm.event), with the
-- reason it is set aside when the record itself is unusable (its account is checked in
-- int_crm_rejected_rows). Meetings dated in the future are scheduled meetings, not
-- errors: indicators only count meetings up to the day they describe.
with

source as (
    {{ latest_version(source('crm', 'event'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as meeting_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(who_id as {{ dbt.type_string() }}) as contact_id,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(type as {{ dbt.type_string() }}) as meeting_type,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(activity_date as {{ dbt.type_timestamp() }}) as meeting_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when meeting_id is null then 'null_key'
            when meeting_at is null then 'null_timestamp'
        end as rejection_reason
    from renamed
)

select * from checked
