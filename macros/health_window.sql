{#- The window of as_of_dates a run (re)computes: the vars `health_start_date` and
    `health_end_date` (the marts contract), inclusive ISO dates, both defaulting to
    yesterday by the project's clock (HEALTH_NOW, macros/clock.sql). They reach dbt as
    vars (`--vars`) or, from the Dagster op, in HEALTH_DBT_RUN_VARS (macros/run_vars.sql;
    docs/decisions/0001-window-and-incremental-strategy.md, 0010).
    The values reach SQL, so they are parsed as dates here and anything else stops
    the run with a clear error (no SQL injection through --vars). -#}

{% macro _parse_window_date(var_name) -%}
    {%- set raw = run_var(var_name, '') -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(health_today() - modules.datetime.timedelta(days=1)) }}
    {%- endif -%}
    {%- set text = raw | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("var '" ~ var_name ~ "' must be an ISO date (YYYY-MM-DD), got: " ~ (text | tojson)) }}
    {%- endif -%}
    {%- set day = modules.datetime.datetime.strptime(text, '%Y-%m-%d').date() -%}
    {{ return(day) }}
{%- endmacro %}

{% macro health_window() -%}
    {%- set start_day = _parse_window_date('health_start_date') -%}
    {%- set end_day = _parse_window_date('health_end_date') -%}
    {%- if start_day > end_day -%}
        {{ exceptions.raise_compiler_error("health_start_date (" ~ start_day ~ ") is after health_end_date (" ~ end_day ~ ")") }}
    {%- endif -%}
    {{ return({'start': start_day, 'end': end_day}) }}
{%- endmacro %}

{#- SQL literals for the window, half-open: as_of_date >= start and < end + 1 day. -#}
{% macro health_window_start() -%}
    cast('{{ health_window()['start'] }}' as date)
{%- endmacro %}

{% macro health_window_end_exclusive() -%}
    cast('{{ health_window()['end'] + modules.datetime.timedelta(days=1) }}' as date)
{%- endmacro %}

{% macro health_window_end() -%}
    cast('{{ health_window()['end'] }}' as date)
{%- endmacro %}

{#- Score rows are computed from `score_change_days` (30) before the window on, so that
    score_change_30d and its reasons compare with a score from the same definition and
    the same code, whatever was built before. -#}
{% macro scoring_span_start_day() -%}
    {{ return(health_window()['start'] - modules.datetime.timedelta(days=var('score_change_days'))) }}
{%- endmacro %}

{#- Product activity must reach back far enough for the longest event look-back
    (active_user_trend: 60 days) before the first day a usage model writes (in_measured_days). -#}
{% macro activity_span_start_day() -%}
    {%- set first_day = scoring_span_start_day() if recompute_scoring_span() else health_window()['start'] -%}
    {{ return(first_day - modules.datetime.timedelta(days=var('activity_lookback_days'))) }}
{%- endmacro %}

{#- The days a usage model (int_usage_metrics_daily, int_product_usage_daily) computes from
    events: the scoring span; with recompute_scoring_span false the window only. Its rows
    of the compared days are stored already and were computed from the same events by the
    same code (a measure has no definition to compare with), so the scoring models read
    them as they are; the window's rows then need 60 days of activity instead of 90, and
    are counted directly for those days (trailing_window_counts, docs/decisions/0403). -#}
{% macro in_measured_days(day_column) -%}
    {%- if recompute_scoring_span() -%}
    {{ in_scoring_span(day_column) }}
    {%- else -%}
    {{ in_health_window(day_column) }}
    {%- endif -%}
{%- endmacro %}

{% macro date_literal(day) -%}
    cast('{{ day }}' as date)
{%- endmacro %}

{#- The filter of an incremental pre-aggregate of events (int_product_activity_daily,
    int_feature_usage_daily) on its day column `day_column` (the model's event_time):
    the days of the activity span, and, on an incremental run, only the days of the
    window plus the look-back days before it that the model has not aggregated yet. -#}
{% macro activity_span_filter(day_column) -%}
    {{ day_column }} >= {{ date_literal(activity_span_start_day()) }}
    and {{ day_column }} < {{ health_window_end_exclusive() }}
    {%- if is_incremental() %}
    and (
        {{ day_column }} >= {{ health_window_start() }}
        or {{ day_column }} not in (
            select {{ config.get('event_time') }} from {{ this }}
            where {{ config.get('event_time') }} >= {{ date_literal(activity_span_start_day()) }}
                and {{ config.get('event_time') }} < {{ health_window_start() }}
        )
    )
    {%- endif %}
{%- endmacro %}

{#- Rows of a stored daily model that a run reads: the days of the scoring span (the window
    and the score_change_days before it). Daily intermediate models keep their whole
    history (no table holds "the last window only"), so every reader says which days it
    needs. With the var recompute_scoring_span false (intraday runs; one-day nightly runs
    whose compared day is stored, decision 0012), only the days the window's rows are
    compared with count besides the window (the window shifted back by score_change_days),
    not the days between: the window's rows are the same, at a fraction of the work for a
    short window (docs/decisions/0400). -#}
{% macro in_scoring_span(day_column) -%}
    {%- if recompute_scoring_span() -%}
    {{ day_column }} >= {{ date_literal(scoring_span_start_day()) }}
    and {{ day_column }} < {{ health_window_end_exclusive() }}
    {%- else -%}
    {%- set back = modules.datetime.timedelta(days=var('score_change_days')) -%}
    (({{ in_health_window(day_column) }})
    or ({{ day_column }} >= {{ date_literal(health_window()['start'] - back) }}
        and {{ day_column }} < {{ date_literal(health_window()['end'] + modules.datetime.timedelta(days=1) - back) }}))
    {%- endif -%}
{%- endmacro %}

{% macro recompute_scoring_span() -%}
    {%- set value = run_var('recompute_scoring_span', true) -%}
    {%- if value is not boolean -%}
        {{ exceptions.raise_compiler_error("var 'recompute_scoring_span' must be true or false, got: " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- Rows of the run's window only (half-open: >= start and < end + 1 day). -#}
{% macro in_health_window(day_column) -%}
    {{ day_column }} >= {{ health_window_start() }}
    and {{ day_column }} < {{ health_window_end_exclusive() }}
{%- endmacro %}

{#- Rows a run compares: the window's days and the days score_change_days before them. -#}
{% macro in_window_or_compared(day_column) -%}
    (({{ in_health_window(day_column) }})
    or ({{ in_health_window(add_days(day_column, var('score_change_days'))) }}))
{%- endmacro %}
