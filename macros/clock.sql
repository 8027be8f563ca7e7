{#- The project's one clock: the environment variable HEALTH_NOW (an ISO timestamp, UTC when
    it has no offset) replaces "now" and "today" everywhere; unset means the real clock.
    customer_health/config.py reads the same variable for the Python side. -#}
{% macro health_now() -%}
    {%- set raw = env_var('HEALTH_NOW', '') | trim -%}
    {%- if raw == '' -%}
        {{ return(modules.datetime.datetime.utcnow()) }}
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
