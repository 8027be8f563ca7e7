-- The current version of every support ticket, with the reason it is set aside.
with

source as (
    {{ latest_version(source('support', 'ticket'), 'id') }}
),

organizations as (
    select
        organization_id,
        account_id
    from {{ ref('stg_support__organizations') }}
),

renamed as (
    select
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
        renamed.ticket_id,
        renamed.organization_id,
        organizations.account_id,
        renamed.requester_email,
        renamed.ticket_priority,
        renamed.ticket_status,
        renamed.ticket_type,
        renamed.satisfaction_rating,
        renamed.is_deleted,
        renamed.created_at,
        renamed.solved_at,
        renamed.loaded_at,
        case
            when renamed.ticket_id is null then 'null_key'
            when organizations.organization_id is null then 'orphan_organization'
            when renamed.created_at is null then 'null_timestamp'
            when {{ is_future_timestamp('renamed.created_at', 'renamed.loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from renamed
    left join organizations
        on renamed.organization_id = organizations.organization_id
)

select * from checked
