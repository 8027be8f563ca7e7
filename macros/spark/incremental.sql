{#- Daily models on Spark, with dbt-spark's own strategy and nothing of dbt-spark redefined
    (docs/decisions/0300-spark-without-adapter-overrides.md).

    On DuckDB a daily model's strategy `window_replace` deletes the days of the run's
    window and the days of the batch, then inserts the batch. On Spark the same models
    say, in their config, incremental_strategy 'insert_overwrite' and partition_by their
    event_time: dbt-spark then sets partitionOverwriteMode = dynamic and replaces exactly
    the day partitions that the batch has rows for. A day of the window that the batch
    has no row for would keep its old rows; this pre-hook (declared once in
    dbt_project.yml for every model, it renders nothing but for such a model on an
    incremental Spark run) drops the window's day partitions first. Result: the window's
    days hold the batch's rows or none, the batch's other days hold the batch's rows,
    every other day is untouched, as on DuckDB.

    Why a pre-hook, not a post-hook: after the insert, a partition rewritten by the batch
    and a stale one cannot be told apart without running the model's query again. A
    model's query never reads its own window days (activity_span_filter reads only the
    days before the window), so dropping them first changes no batch row. Not one
    transaction (Parquet has none): a run failing after the drop leaves window days
    empty, never stale; the next run of the window fills them. -#}
{% macro spark_drop_window_partitions() -%}
    {%- set day_column = config.get('event_time') -%}
    {%- if target.type == 'spark'
        and config.get('materialized') == 'incremental'
        and config.get('incremental_strategy') == 'insert_overwrite'
        and day_column
        and config.get('partition_by') == day_column
        and is_incremental() -%}
        {%- set window = health_window() -%}
        {%- set partitions = [] -%}
        {%- for offset in range((window['end'] - window['start']).days + 1) -%}
            {%- do partitions.append("partition (" ~ day_column ~ " = '"
                ~ (window['start'] + modules.datetime.timedelta(days=offset)) ~ "')") -%}
        {%- endfor -%}
    alter table {{ this }} drop if exists {{ partitions | join(', ') }}
    {%- endif -%}
{%- endmacro %}
