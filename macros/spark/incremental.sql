{#- Incremental models on dbt-spark.

    dbt-spark's incremental materialization accepts only its own strategies (append,
    merge, insert_overwrite, microbatch) and has no hook for custom ones. The two
    macros below take the names of dbt-spark's (a macro of the root project wins over
    the adapter's) and add dbt-core's convention for custom strategies: a strategy S
    other than those four runs get_incremental_<S>_sql(arg_dict), '+' read as '_'.
    dbt-spark's own strategies are passed on unchanged. With it, one model config
    serves every engine:
    - window_replace (macros/incremental_window_replace.sql) ->
      spark__window_replace_sql below: insert overwrite by day partition;
    - delete+insert (base_product__tracks) -> spark__get_incremental_delete_insert_sql
      below: a rewrite of the table on Parquet, merge on Delta/Iceberg/Hudi. -#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy in ['append', 'merge', 'insert_overwrite', 'microbatch'] -%}
        {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
    {%- endif -%}
    {%- if _custom_incremental_macro(raw_strategy) is none -%}
        {{ exceptions.raise_compiler_error(
            "Invalid incremental strategy provided: " ~ raw_strategy
            ~ ". Expected one of 'append', 'merge', 'insert_overwrite', 'microbatch', or a strategy S "
            ~ "with a macro get_incremental_S_sql") }}
    {%- endif -%}
    {{ return(raw_strategy) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- set custom = none if strategy in ['append', 'merge', 'insert_overwrite', 'microbatch'] else _custom_incremental_macro(strategy) -%}
    {%- if custom is none -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {{ return(custom({
        'target_relation': target,
        'temp_relation': source,
        'unique_key': unique_key,
        'dest_columns': adapter.get_columns_in_relation(target),
        'incremental_predicates': incremental_predicates,
    })) }}
{%- endmacro %}

{% macro _custom_incremental_macro(strategy) -%}
    {{ return(context.get('get_incremental_' ~ (strategy | replace('+', '_')) ~ '_sql')) }}
{%- endmacro %}


{#- A window_replace model is stored partitioned by its event_time on Spark, so that a
    run rewrites only the day partitions it touches (dbt-spark's partition_cols, namespace
    dbt; an explicit partition_by config still wins). -#}
{% macro spark__partition_cols(label, required=false) -%}
    {%- if config.get('partition_by') is none
        and config.get('materialized') == 'incremental'
        and config.get('incremental_strategy') == 'window_replace'
        and config.get('event_time') -%}
    {{ label }} ({{ config.get('event_time') }})
    {%- else -%}
    {{ dbt.spark__partition_cols(label, required) }}
    {%- endif -%}
{%- endmacro %}


{#- window_replace on Spark (Parquet, no transactions, no DELETE). Same rows as the
    default's delete + insert: every day of the batch and every day of the window ends up
    holding exactly the batch's rows for it, days outside both stay as they were.
    1. The batch (dbt-spark's temporary view of the model's query) is written once to a
       table: the query may read the target itself ({{ this }}), which Spark refuses to
       overwrite while reading, and the steps below read the batch twice.
    2. insert overwrite ... partition (<day>) with partitionOverwriteMode = dynamic
       replaces exactly the day partitions that the batch has rows for.
    3. Days of the window that the batch has no rows for (e.g. an account's last day
       moved) keep old rows after step 2: their partitions are dropped.
    4. The batch table is dropped (the statement dbt runs as `main`).
    Each partition is replaced atomically, the run as a whole is not: a run that fails
    between 2 and 3 is repaired by running the window again. -#}
{% macro spark__window_replace_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set day_column = config.get('event_time') -%}
    {%- if not day_column -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'window_replace' needs the model config 'event_time'") }}
    {%- endif -%}
    {%- set batch = target.incorporate(path={'identifier': target.identifier ~ '__dbt_batch'}, type='table') -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- do run_query('drop table if exists ' ~ batch) -%}
    {%- do run_query('create table ' ~ batch ~ ' using parquet as select * from ' ~ arg_dict['temp_relation']) -%}
    {%- do run_query('set spark.sql.sources.partitionOverwriteMode = dynamic') -%}
    {%- do run_query('insert overwrite table ' ~ target ~ ' partition (' ~ day_column ~ ') select ' ~ columns ~ ' from ' ~ batch) -%}
    {%- set batch_days = run_query('select distinct cast(' ~ day_column ~ ' as string) as day from ' ~ batch).columns[0].values() | list -%}
    {%- set window = health_window() -%}
    {%- set emptied = [] -%}
    {%- for offset in range((window['end'] - window['start']).days + 1) -%}
        {%- set day = (window['start'] + modules.datetime.timedelta(days=offset)) | string -%}
        {%- if day not in batch_days -%}
            {%- do emptied.append("partition (" ~ day_column ~ " = '" ~ day ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for chunk in emptied | batch(100) -%}
        {%- do run_query('alter table ' ~ target ~ ' drop if exists ' ~ (chunk | join(', '))) -%}
    {%- endfor -%}
    drop table if exists {{ batch }}
{%- endmacro %}


{#- delete+insert by unique_key on Spark. Delta, Iceberg and Hudi tables merge; plain
    Parquet has neither DELETE nor MERGE, so the table is rewritten: the rows whose key is
    not in the batch, plus the batch, through a staging table (Spark cannot overwrite a
    table while reading it). The rewrite reads the whole table: on a cluster with large
    event volumes use file_format delta (merge) for these models. -#}
{% macro spark__get_incremental_delete_insert_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- if target.is_delta or target.is_iceberg or target.is_hudi -%}
        {{ return(spark__get_merge_sql(target, arg_dict['temp_relation'], unique_key, none, arg_dict['incremental_predicates'])) }}
    {%- endif -%}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error("delete+insert on Spark needs a unique_key") }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set batch = target.incorporate(path={'identifier': target.identifier ~ '__dbt_batch'}, type='table') -%}
    {%- set rewrite = target.incorporate(path={'identifier': target.identifier ~ '__dbt_rewrite'}, type='table') -%}
    {%- do run_query('drop table if exists ' ~ batch) -%}
    {%- do run_query('drop table if exists ' ~ rewrite) -%}
    {%- do run_query('create table ' ~ batch ~ ' using parquet as select ' ~ columns ~ ' from ' ~ arg_dict['temp_relation']) -%}
    {%- set rewrite_sql -%}
        create table {{ rewrite }} using parquet as
        select {{ columns }} from {{ target }} as kept
        where not exists (
            select 1 from {{ batch }} as batch
            where {% for key in keys %}batch.{{ key }} = kept.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
        )
        union all
        select {{ columns }} from {{ batch }}
    {%- endset -%}
    {%- do run_query(rewrite_sql) -%}
    {%- do run_query('insert overwrite table ' ~ target ~ ' select ' ~ columns ~ ' from ' ~ rewrite) -%}
    {%- do run_query('drop table if exists ' ~ batch) -%}
    drop table if exists {{ rewrite }}
{%- endmacro %}
