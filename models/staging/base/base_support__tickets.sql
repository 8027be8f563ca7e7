-- The current version of every support ticket, with the reason it is set aside when the
-- record itself is unusable. Its organization (and through it its account) is checked in
-- int_support_rejected_rows and attached in int_support_tickets_linked.
with

source as (
    {{ latest_version(source('support', 'ticket'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_bigint() }}) as ticket_id,
        cast(organization_id as {{ dbt.type_bigint() }}) as organization_id,
        lower(trim(cast(requester_email as {{ dbt.type_string() }}))) as requester_email,
        lower(trim(cast(priority as {{ dbt.type_string() }}))) as ticket_priority,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as ticket_status,
        lower(trim(cast(type as {{ dbt.type_string() }}))) as ticket_type,
        lower(trim(cast(satisfaction_rating as {{ dbt.type_string() }}))) as satisfaction_rating,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(solved_at as {{ dbt.type_timestamp() }}) as solved_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when ticket_id is null then 'null_key'
            when created_at is null then 'null_timestamp'
            when {{ is_future_timestamp('created_at', 'loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from renamed
)

select * from checked
