{#- The window of as_of_dates a run (re)computes: vars `health_start_date` and
    `health_end_date`, inclusive ISO dates, both defaulting to yesterday (UTC).
    The values reach SQL, so they are parsed as dates here and anything else stops
    the run with a clear error (no SQL injection through --vars). -#}

{% macro _parse_window_date(var_name) -%}
    {%- set raw = var(var_name, '') -%}
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
