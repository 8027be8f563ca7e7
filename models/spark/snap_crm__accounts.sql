-- One row per version of a CRM account (SCD type 2) on Spark with plain Parquet tables:
-- the same history as the snapshot snap_crm__accounts (snapshots/), which dbt-spark runs
-- only on Delta, Iceberg or Hudi (its snapshots MERGE). Same name, so that the models
-- reading ref('snap_crm__accounts') run unchanged; exactly one of the two is enabled
-- (dbt_project.yml). Check strategy on the snapshot's check_cols, hard deletes
-- invalidated, versions started and ended at the run's time (dbt.snapshot_get_time()).
-- Storage: partitioned by dbt_valid_to. The current versions are the partition
-- dbt_valid_to = null, which every run rewrites whole (dbt-spark's insert_overwrite,
-- dynamic partition overwrite); the versions a run ends go to a new partition of that
-- run's time; ended versions are never rewritten (docs/decisions/0300).
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        partition_by='dbt_valid_to',
        on_schema_change='fail',
    )
}}

{#- The snapshot's check_cols (snapshots/snap_crm__accounts.yml). -#}
{%- set check_columns = ['parent_account_id', 'customer_tier', 'support_package', 'billing_country', 'is_deleted'] -%}
{%- set account_columns = [
    'account_id', 'parent_account_id', 'owner_user_id', 'account_name', 'account_type',
    'industry', 'billing_country', 'customer_tier', 'support_package', 'is_deleted',
    'created_at', 'loaded_at',
] -%}

with

accounts as (
    select * from {{ ref('int_accounts_snapshot_source') }}
),

run_time as (
    select {{ dbt.snapshot_get_time() }} as snapshot_at
),

{% if is_incremental() %}
current_versions as (
    select * from {{ this }}
    where dbt_valid_to is null
),

-- Each current version against the account's latest delivery: unchanged, changed (a
-- check column differs) or gone (no longer in the input).
compared as (
    select
        current_versions.*,
        accounts.account_id is null as is_gone,
        accounts.account_id is not null
        and not (
            {%- for column in check_columns %}
            (current_versions.{{ column }} = accounts.{{ column }}
                or (current_versions.{{ column }} is null and accounts.{{ column }} is null))
            {{- ' and' if not loop.last }}
            {%- endfor %}
        ) as is_changed
    from current_versions
    left join accounts
        on current_versions.account_id = accounts.account_id
),

kept_versions as (
    select
        {%- for column in account_columns %}
        {{ column }},
        {%- endfor %}
        dbt_scd_id,
        dbt_updated_at,
        dbt_valid_from,
        dbt_valid_to
    from compared
    where not is_gone and not is_changed
),

ended_versions as (
    select
        {%- for column in account_columns %}
        compared.{{ column }},
        {%- endfor %}
        compared.dbt_scd_id,
        compared.dbt_updated_at,
        compared.dbt_valid_from,
        run_time.snapshot_at as dbt_valid_to
    from compared
    cross join run_time
    where compared.is_gone or compared.is_changed
),

new_accounts as (
    select accounts.*
    from accounts
    left join compared
        on accounts.account_id = compared.account_id
        and not compared.is_changed
    where compared.account_id is null
),
{% else %}
new_accounts as (
    select * from accounts
),
{% endif %}

new_versions as (
    select
        {%- for column in account_columns %}
        new_accounts.{{ column }},
        {%- endfor %}
        {{ dbt.hash(dbt.concat([
            dbt.cast('new_accounts.account_id', dbt.type_string()),
            "'|'",
            dbt.cast('run_time.snapshot_at', dbt.type_string()),
        ])) }} as dbt_scd_id,
        run_time.snapshot_at as dbt_updated_at,
        run_time.snapshot_at as dbt_valid_from,
        cast(null as {{ dbt.type_timestamp() }}) as dbt_valid_to
    from new_accounts
    cross join run_time
),

final as (
    {% if is_incremental() -%}
    select * from kept_versions
    union all
    select * from ended_versions
    union all
    {% endif -%}
    select * from new_versions
)

select * from final
