-- One row per product record set aside, with the reason: set aside by staging (a problem
-- within the record, see the base models) or here, where its links to other tables are
-- checked, parents first: a user whose CRM account is not usable (`orphan_account`), an
-- event whose user is not usable (`unknown_user`). The usable models (int_*_linked) are
-- the staged rows minus these; dq_rejected_rows publishes them.
--
-- Incremental with the `recheck` strategy (macros/incremental_recheck.sql), so that a daily
-- run does not read every event ever loaded. An event's verdict can change only when the
-- event itself is loaded again or its user's usability changes, so a run rechecks:
--   * the users, all of them (a few per account);
--   * the events loaded after the last run: after its `checked_through`, the load time
--     through which it had seen both tables;
--   * the staged events of the users whose usability may have changed: users loaded after
--     the last run (new, moved or edited), and users set aside now but not before, or
--     before but not now (their account was loaded, deleted or fixed).
-- The rows stored for rechecked records are replaced: the batch carries each of them with
-- a null reason (a tombstone) besides the new verdicts. On Spark (no DELETE on plain
-- Parquet) it is a table rebuilt by every run, like the base model it reads.
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        incremental_strategy='recheck',
        recheck_verdict='reason',
        unique_key=['table_name', 'record_key'],
        on_schema_change='fail',
        tags=['event_history'],
    )
}}

with

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

base_users as (
    select * from {{ ref('base_product__users') }}
),

-- The staged rows (those of the stg_product__* models): current, not deleted, not set
-- aside by staging. Only their links are left to check.
users as (
    select * from base_users
    where not is_deleted and rejection_reason is null
),

set_aside_by_staging as (
    {{ set_aside_by_staging('product') | indent(4) }}
),

-- One CTE per table in the shape of set_aside_by_staging; reason null = usable, for the
-- users.
users_checked as (
    select
        'users' as table_name,
        users.record_key,
        users.user_id as record_id,
        case
            when accounts.account_id is null then 'orphan_account'
        end as reason,
        users.loaded_at
    from users
    left join accounts
        on users.account_id = accounts.account_id
),

{% if is_incremental() %}
{#- How far the last run that set rows aside had seen the tables (nothing stored: from the
    start, recheck everything). A scalar, so that DuckDB skips the older events by their
    zone maps. -#}
{%- set checked_through -%}
    (select coalesce(max(checked_through), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
{%- endset %}

stored as (
    select * from {{ this }}
),

users_set_aside as (
    select record_id from set_aside_by_staging
    where table_name = 'users'
    union all
    select record_id from users_checked
    where reason is not null
),

users_set_aside_before as (
    select record_id from stored
    where table_name = 'users'
),

changed_users as (
    select base_users.user_id
    from base_users
    where base_users.loaded_at > {{ checked_through }}
    union
    (
        select record_id from users_set_aside
        except
        select record_id from users_set_aside_before
    )
    union
    (
        select record_id from users_set_aside_before
        except
        select record_id from users_set_aside
    )
),

-- The events loaded since the last run, whatever staging made of them.
events_loaded as (
    select tracks.record_key
    from {{ ref('base_product__tracks') }} as tracks
    where tracks.loaded_at > {{ checked_through }}
),

{% endif %}

-- The staged events to check. Incremental: those loaded since the last run, and those of
-- the users whose usability may have changed, in two reads each filtered on its own (a
-- CTE of all staged events read twice would be materialized whole by DuckDB).
{%- set staged_events %}
    select
        record_key,
        event_id,
        user_id,
        loaded_at
    from {{ ref('base_product__tracks') }}
    where not is_deleted and rejection_reason is null
{%- endset %}
events as (
    {{- staged_events }}
    {%- if is_incremental() %}
        and loaded_at > {{ checked_through }}
    union
    {{- staged_events }}
        and user_id in (select changed_users.user_id from changed_users)
    {%- endif %}
),

-- The events only as rejections: an anti join against the usable users, so that no join
-- result is built for the usable events (53M events at 10,000 accounts: 3.2 s against
-- 3.4 s for a left join filtered afterwards, mean of 4 alternating runs in DuckDB).
events_checked as (
    select
        'tracks' as table_name,
        events.record_key,
        events.event_id as record_id,
        'unknown_user' as reason,
        events.loaded_at
    from events
    where not exists (
        select 1
        from users_checked
        where users_checked.record_id = events.user_id and users_checked.reason is null
    )
),

-- The load time through which this run sees both tables (the least of their latest loads:
-- whatever lands later in either table is loaded after it), stored on every row it writes.
this_run as (
    select
        least(
            (select max(tracks.loaded_at) from {{ ref('base_product__tracks') }} as tracks),
            (select max(base_users.loaded_at) from base_users)
        ) as checked_through
),

verdicts as (
    select * from set_aside_by_staging
    {%- if is_incremental() %}
    where table_name != 'tracks'
        or loaded_at > {{ checked_through }}
    {%- endif %}
    union all
    select * from users_checked
    where reason is not null
    union all
    select * from events_checked
),

unioned as (
    select
        verdicts.*,
        this_run.checked_through
    from verdicts
    cross join this_run
    {%- if is_incremental() %}
    union all
    -- Tombstones: the stored rows of every rechecked record (the users and any other table
    -- but the events are rechecked whole), replaced by the verdict above if still set aside.
    select
        table_name,
        record_key,
        record_id,
        null as reason,
        loaded_at,
        checked_through
    from stored
    where table_name != 'tracks'
        or record_key in (select events_loaded.record_key from events_loaded)
        or record_key in (select events.record_key from events)
    {%- endif %}
),

final as (
    select
        cast('product' as {{ dbt.type_string() }}) as source_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        record_key,
        record_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        loaded_at,
        cast(checked_through as {{ dbt.type_timestamp() }}) as checked_through
    from unioned
)

select * from final
