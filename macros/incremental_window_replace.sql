{#- Custom incremental strategy `window_replace` for daily models: the rows of every day
    in the run's window (vars health_start_date..health_end_date) and of every day present
    in the new batch are deleted, then the batch is inserted, in one transaction. Days
    outside the window are left exactly as they were, so a rerun of a window, a day-by-day
    build and a full refresh give the same rows. The day column is the model's dbt
    `event_time` config (declared once, where dbt and other tools read it). On Spark the
    models use dbt-spark's own insert_overwrite by day partition instead, with the window's
    partitions dropped first (macros/spark/incremental.sql, docs/decisions/0300). Why not microbatch:
    docs/decisions/0001-window-and-incremental-strategy.md. -#}
{% macro get_incremental_window_replace_sql(arg_dict) -%}
    {{ return(adapter.dispatch('window_replace_sql', 'customer_health')(arg_dict)) }}
{%- endmacro %}

{% macro default__window_replace_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set day_column = config.get('event_time') -%}
    {%- if not day_column -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'window_replace' needs the model config 'event_time' (the day column)") }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    where ({{ day_column }} >= {{ health_window_start() }}
            and {{ day_column }} < {{ health_window_end_exclusive() }})
        or {{ day_column }} in (select distinct {{ day_column }} from {{ batch }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ batch }};
{%- endmacro %}

{#- A date spine over a range known when the model compiles: one row per day, column
    `as_of_date`, from `start_day` to `end_day` inclusive (Python dates). -#}
{% macro day_spine(start_day, end_day) -%}
    {%- set day_count = (end_day - start_day).days + 1 -%}
    select
        cast({{ dbt.dateadd('day', 'series.generated_number - 1', "cast('" ~ start_day ~ "' as date)") }} as date) as as_of_date
    from ({{ dbt.generate_series(day_count) }}) as series
{%- endmacro %}
