-- One row per day a hierarchy roll-up run compares: every as_of_date of the window and
-- the day score_change_days before each, with the hierarchy version valid on it
-- (int_account_hierarchy_versions): the snapshot's hierarchy where the snapshot covers
-- the day, the current CRM hierarchy before the first snapshot.
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='as_of_date' if target.type == 'spark' else none,
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily'],
    )
}}

with

window_days as (
    {{ day_spine(health_window()['start'], health_window()['end']) | indent(4) }}
),

compared_days as (
    select as_of_date from window_days

    union

    select {{ add_days('as_of_date', -var('score_change_days', 30)) }} as as_of_date
    from window_days
),

versions as (
    select * from {{ ref('int_account_hierarchy_versions') }}
),

final as (
    select
        compared_days.as_of_date,
        versions.hierarchy_version_id,
        versions.hierarchy_source
    from compared_days
    inner join versions
        on (versions.valid_from_date is null or compared_days.as_of_date >= versions.valid_from_date)
        and (versions.valid_to_date is null or compared_days.as_of_date < versions.valid_to_date)
)

select * from final
