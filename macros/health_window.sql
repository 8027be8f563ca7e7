{#- The window of as_of_dates a run (re)computes: vars `health_start_date` and
    `health_end_date`, inclusive ISO dates, both defaulting to yesterday (UTC).
    When a var is empty, the environment variable of the same name in capitals
    (HEALTH_START_DATE, HEALTH_END_DATE) is used instead. Schedulers should prefer the
    environment: a changed --vars value makes dbt re-parse the whole project (about 8 s
    here), a changed environment variable only the models that read the window.
    The values reach SQL, so they are parsed as dates here and anything else stops
    the run with a clear error (no SQL injection through --vars). -#}

{% macro _parse_window_date(var_name) -%}
    {%- set from_env = env_var(var_name | upper, '') -%}
    {%- set raw = var(var_name, '') -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {%- set raw = from_env -%}
    {%- endif -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {%- set day = modules.datetime.datetime.utcnow().date() - modules.datetime.timedelta(days=1) -%}
        {{ return(day) }}
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
    (active_user_trend: 60 days) before the first scored day. -#}
{% macro activity_span_start_day() -%}
    {{ return(scoring_span_start_day() - modules.datetime.timedelta(days=var('activity_lookback_days'))) }}
{%- endmacro %}

{% macro date_literal(day) -%}
    cast('{{ day }}' as date)
{%- endmacro %}

{#- The filter of an incremental pre-aggregate of events (int_product_activity_daily,
    int_feature_usage_daily) on its day column `day_column` (the model's window_column):
    the days of the activity span, and, on an incremental run, only the days of the
    window plus the look-back days before it that the model has not aggregated yet. -#}
{% macro activity_span_filter(day_column) -%}
    {{ day_column }} >= {{ date_literal(activity_span_start_day()) }}
    and {{ day_column }} < {{ health_window_end_exclusive() }}
    {%- if is_incremental() %}
    and (
        {{ day_column }} >= {{ health_window_start() }}
        or {{ day_column }} not in (
            select {{ config.get('window_column') }} from {{ this }}
            where {{ config.get('window_column') }} >= {{ date_literal(activity_span_start_day()) }}
                and {{ config.get('window_column') }} < {{ health_window_start() }}
        )
    )
    {%- endif %}
{%- endmacro %}
