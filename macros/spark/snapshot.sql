{#- Snapshots on Spark without Delta/Iceberg/Hudi.

    dbt-spark's snapshot materialization refuses any file format but delta, iceberg and
    hudi, because later runs MERGE into the snapshot. Those formats need jars that
    pyspark does not ship, so the local Spark of this project has plain Parquet. This
    materialization (the root project's wins over the adapter's) is dbt-spark's, except
    that on Parquet the merge is a rewrite of the snapshot table through a staging table:
    current versions that changed or disappeared get their dbt_valid_to, new versions
    are appended. On Delta, Iceberg or Hudi it is dbt-spark's merge unchanged. -#}
{% materialization snapshot, adapter='spark' %}
    {%- set target_table = model.get('alias', model.get('name')) -%}
    {%- set strategy_name = config.get('strategy') -%}
    {%- set file_format = config.get('file_format') or 'parquet' -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set mergeable = file_format in ['delta', 'iceberg', 'hudi'] -%}

    {% set target_relation_exists, target_relation = get_or_create_relation(
            database=none,
            schema=model.schema,
            identifier=target_table,
            type='table') -%}

    {%- if file_format not in ['delta', 'iceberg', 'hudi', 'parquet'] -%}
        {% do exceptions.raise_compiler_error('Invalid file format for a snapshot: ' ~ file_format) %}
    {%- endif -%}

    {% if not adapter.check_schema_exists(model.database, model.schema) %}
        {% do create_schema(model.schema) %}
    {% endif %}

    {%- if not target_relation.is_table -%}
        {% do exceptions.relation_wrong_type(target_relation, 'table') %}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% set strategy_macro = strategy_dispatch(strategy_name) %}
    {% set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'], target_relation_exists) %}

    {% if not target_relation_exists %}
        {% set build_sql = build_snapshot_table(strategy, model['compiled_code']) %}
        {% set final_sql = create_table_as(False, target_relation, build_sql) %}
    {% else %}
        {% set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() %}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}
        {% set staging_table = spark_build_snapshot_staging_table(strategy, sql, target_relation) %}
        {% set missing_columns = adapter.get_missing_columns(staging_table, target_relation)
                                     | rejectattr('name', 'in', ['dbt_change_type', 'DBT_CHANGE_TYPE', 'dbt_unique_key', 'DBT_UNIQUE_KEY'])
                                     | list %}
        {% do create_columns(target_relation, missing_columns) %}
        {% set source_columns = adapter.get_columns_in_relation(staging_table)
                                     | rejectattr('name', 'in', ['dbt_change_type', 'DBT_CHANGE_TYPE', 'dbt_unique_key', 'DBT_UNIQUE_KEY'])
                                     | list %}
        {% set quoted_source_columns = [] %}
        {% for column in source_columns %}
            {% do quoted_source_columns.append(adapter.quote(column.name)) %}
        {% endfor %}
        {% if mergeable and (target_relation.is_delta or target_relation.is_iceberg or target_relation.is_hudi) %}
            {% set final_sql = snapshot_merge_sql(target=target_relation, source=staging_table, insert_cols=quoted_source_columns) %}
        {% else %}
            {% set final_sql = spark_parquet_snapshot_rewrite(target_relation, staging_table, columns) %}
        {% endif %}
    {% endif %}

    {% call statement('main') %}
        {{ final_sql }}
    {% endcall %}

    {% set should_revoke = should_revoke(target_relation_exists, full_refresh_mode) %}
    {% do apply_grants(target_relation, grant_config, should_revoke) %}
    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {% if staging_table is defined %}
        {% do post_snapshot(staging_table) %}
    {% endif %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- The merge of dbt-spark's snapshot as a rewrite: the same rows as `merge into target
    using staging on scd_id when matched (current, update/delete) then set valid_to,
    when not matched (insert) then insert`. Runs the rewrite and returns the final
    statement (dropping the staging table of the rewrite). -#}
{% macro spark_parquet_snapshot_rewrite(target, staging, columns) -%}
    {%- set target_columns = adapter.get_columns_in_relation(target) -%}
    {%- set rewrite = target.incorporate(path={'identifier': target.identifier ~ '__dbt_rewrite'}, type='table') -%}
    {%- set scd_id = columns.dbt_scd_id -%}
    {%- set valid_to = columns.dbt_valid_to -%}
    {%- set current_check -%}
        {%- if config.get('dbt_valid_to_current') -%}
        (dest.{{ valid_to }} = {{ config.get('dbt_valid_to_current') }} or dest.{{ valid_to }} is null)
        {%- else -%}
        dest.{{ valid_to }} is null
        {%- endif -%}
    {%- endset -%}
    {%- set rewrite_sql -%}
        create table {{ rewrite }} using parquet as
        select
            {%- for column in target_columns %}
            {% if column.name | lower == valid_to | lower -%}
            case when changes.{{ scd_id }} is not null and {{ current_check }}
                then changes.{{ valid_to }} else dest.{{ valid_to }} end as {{ adapter.quote(column.name) }}
            {%- else -%}
            dest.{{ adapter.quote(column.name) }}
            {%- endif %}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ target }} as dest
        left join (
            select {{ scd_id }}, {{ valid_to }} from {{ staging }}
            where dbt_change_type in ('update', 'delete')
        ) as changes
            on changes.{{ scd_id }} = dest.{{ scd_id }}
        union all
        select
            {%- for column in target_columns %}
            inserts.{{ adapter.quote(column.name) }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ staging }} as inserts
        where inserts.dbt_change_type = 'insert'
            and not exists (select 1 from {{ target }} as dest where dest.{{ scd_id }} = inserts.{{ scd_id }})
    {%- endset -%}
    {%- do run_query('drop table if exists ' ~ rewrite) -%}
    {%- do run_query(rewrite_sql) -%}
    {%- do run_query('insert overwrite table ' ~ target ~ ' select * from ' ~ rewrite) -%}
    {{ return('drop table if exists ' ~ rewrite) }}
{%- endmacro %}
