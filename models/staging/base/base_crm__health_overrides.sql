-- The current version of every CSM health override (the optional raw table
-- crm.health_override__c: when it is absent there are no rows), with the reason it is
-- set aside when the record itself is unusable (its account is checked in
-- int_crm_rejected_rows).
with

source as (
    {{ latest_version(optional_source('crm', 'health_override__c'), 'id') }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as override_id,
        cast(account__c as {{ dbt.type_string() }}) as account_id,
        cast(created_by_id as {{ dbt.type_string() }}) as created_by_user_id,
        lower(trim(cast(health_band__c as {{ dbt.type_string() }}))) as health_band,
        cast(reason__c as {{ dbt.type_string() }}) as override_reason,
        cast(health_score__c as {{ type_double() }}) as health_score,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        cast(start_date__c as date) as start_date,
        cast(end_date__c as date) as end_date,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        *,
        case
            when override_id is null then 'null_key'
            when health_band is null or health_band not in ('good', 'average', 'poor') then 'unknown_band'
            -- NaN is out of range too: DuckDB and Spark order it above every number.
            when health_score < 0 or health_score > 100 then 'score_out_of_range'
            when start_date is null then 'missing_start_date'
            when end_date < start_date then 'end_before_start'
        end as rejection_reason
    from renamed
)

select * from checked
