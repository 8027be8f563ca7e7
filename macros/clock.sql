{#- The project's one clock: the environment variable HEALTH_NOW (an ISO timestamp, UTC when
    it has no offset) replaces "now" and "today" everywhere; unset means the real clock,
    read once per dbt invocation (run_started_at), so that every model of a run agrees on
    "now" even across midnight. customer_health/config.py reads the same variable for the
    Python side. Read only while dbt executes, not while it parses (parsing needs no
    clock): a value read at parse time is recorded for partial parsing, and every new
    HEALTH_NOW would re-parse the files that read it (docs/decisions/0010). -#}
{% macro health_now() -%}
    {%- set raw = (env_var('HEALTH_NOW', '') | trim) if execute else '' -%}
    {%- if raw == '' -%}
        {{ return(run_started_at.astimezone(modules.pytz.utc).replace(tzinfo=none)) }}
    {%- endif -%}
    {%- set text = raw.replace('Z', '+00:00') -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?([+-][0-9]{2}:?[0-9]{2})?$', text) -%}
        {{ exceptions.raise_compiler_error("HEALTH_NOW must be an ISO timestamp (UTC), got: " ~ (raw | tojson)) }}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(text) -%}
    {%- if parsed.tzinfo is not none -%}
        {%- set parsed = (parsed - parsed.utcoffset()).replace(tzinfo=none) -%}
    {%- endif -%}
    {{ return(parsed) }}
{%- endmacro %}

{#- The UTC day in progress by the project's clock. -#}
{% macro health_today() -%}
    {{ return(health_now().date()) }}
{%- endmacro %}

{#- now() as a SQL timestamp literal (UTC, no time zone), e.g. for computed_at. -#}
{% macro health_now_literal() -%}
    cast('{{ health_now().strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The live-day columns of a daily mart (marts contract, "Live days"): when the row was
    computed (`computed_at`, the run's clock) and whether its day was still running then
    (`is_partial_day`: computed before the end of `day_column`, i.e. on or before that
    day by the clock). A row of a finished day computed after it ended is final. -#}
{% macro health_computed_at() -%}
    {{ health_now_literal() }}
{%- endmacro %}

{% macro health_is_partial_day(day_column) -%}
    ({{ day_column }} >= {{ date_literal(health_today()) }})
{%- endmacro %}

{#- Snapshots stamp their versions with the project's clock, not the database's: a replay
    or a test under HEALTH_NOW dates hierarchy versions by the day it replays (dbt looks
    for dispatched `dbt` macros in the root project first). -#}
{% macro default__snapshot_get_time() -%}
    {{ health_now_literal() }}
{%- endmacro %}

{% macro duckdb__snapshot_get_time() -%}
    {{ health_now_literal() }}
{%- endmacro %}
