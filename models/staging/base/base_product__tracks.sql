-- The current version of every product event, with the reason it is set aside when the
-- record itself is unusable. Its user (and through the user its account) is checked in
-- int_product_rejected_rows and attached in int_product_events_linked. Incremental on
-- the load time: each run reads only the rows landed since the last run (re-delivered
-- ids replace their earlier version), so a daily run never rescans the whole event
-- history. On Spark (plain Parquet: no DELETE, no MERGE) it is a table rebuilt from the
-- source by every run: the same rows, the latest version of every id (docs/decisions/0300).
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='fail',
        tags=['event_history'],
    )
}}

{%- set landed_since_last_run = none -%}
{%- if is_incremental() -%}
    {%- set landed_since_last_run = '_loaded_at > (select max(loaded_at) from ' ~ this ~ ')' -%}
{%- endif %}

with

source as (
    {{ latest_version(source('product', 'tracks'), 'id', where=landed_since_last_run) }}
),

renamed as (
    select
        record_key,
        cast(id as {{ dbt.type_string() }}) as event_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(event as {{ dbt.type_string() }}) as event_name,
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast({{ adapter.quote('timestamp') }} as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source
),

checked as (
    select
        record_key,
        event_id,
        user_id,
        event_name,
        feature,
        product_id,
        false as is_deleted,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        received_at,
        loaded_at,
        case
            when event_id is null then 'null_key'
            when occurred_at is null then 'null_timestamp'
            when {{ is_future_timestamp('occurred_at', 'loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from renamed
)

select * from checked
-- Stored in event-date order: readers filter on occurred_date (the activity pre-aggregates,
-- module usage), and DuckDB's zone maps then skip the row groups of other dates (4x
-- faster on 54M events). Later loads append in date order on their own.
order by occurred_date
