-- One row per version of the enterprise hierarchy, with the as_of_dates it applies to:
-- `snapshot_<date>` versions rebuilt from the snapshot snap_crm__accounts as it was at
-- the end of <date> (valid until the next day whose end-of-day hierarchy differs), and
-- `current_crm` (today's CRM state) for the days before the first snapshot, which has
-- no history to offer. Only changes of parent or deletion start a version; a change of
-- tier or country does not change the hierarchy.
with

snapshot as (
    select * from {{ ref('snap_crm__accounts') }}
),

account_versions as (
    select
        account_id,
        parent_account_id,
        is_deleted,
        dbt_valid_from,
        dbt_valid_to,
        lag(parent_account_id) over account_history as previous_parent_account_id,
        lag(is_deleted) over account_history as previous_is_deleted,
        lag(dbt_valid_to) over account_history as previous_valid_to,
        lead(dbt_valid_from) over account_history as next_valid_from
    from snapshot
    window account_history as (partition by account_id order by dbt_valid_from)
),

-- Days whose end-of-day hierarchy can differ from the day before's: an account appears,
-- changes parent, is deleted or restored, or disappears.
change_dates as (
    select cast(dbt_valid_from as date) as change_date
    from account_versions
    where previous_valid_to is null
        or previous_valid_to <> dbt_valid_from
        or previous_is_deleted <> is_deleted
        or not (
            previous_parent_account_id = parent_account_id
            or (previous_parent_account_id is null and parent_account_id is null)
        )

    union

    select cast(dbt_valid_to as date) as change_date
    from account_versions
    where dbt_valid_to is not null
        and (next_valid_from is null or next_valid_from <> dbt_valid_to)
),

snapshot_versions as (
    select
        change_date as valid_from_date,
        lead(change_date) over (order by change_date) as valid_to_date
    from change_dates
),

first_snapshot as (
    select min(cast(dbt_valid_from as date)) as first_snapshot_date from snapshot
),

versions as (
    select
        cast('current_crm' as {{ dbt.type_string() }}) as hierarchy_version_id,
        cast('current_crm' as {{ dbt.type_string() }}) as hierarchy_source,
        cast(null as date) as valid_from_date,
        first_snapshot_date as valid_to_date
    from first_snapshot

    union all

    select
        cast({{ dbt.concat(["'snapshot_'", dbt.cast('valid_from_date', dbt.type_string())]) }} as {{ dbt.type_string() }})
            as hierarchy_version_id,
        cast('snapshot' as {{ dbt.type_string() }}) as hierarchy_source,
        valid_from_date,
        valid_to_date
    from snapshot_versions
),

final as (
    select * from versions
)

select * from final
