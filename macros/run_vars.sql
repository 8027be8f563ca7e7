{#- The values a pipeline run passes to dbt: the window (health_start_date,
    health_end_date) and recompute_scoring_span, the vars of the marts contract.

    From the command line they are dbt vars (`--vars`), as the contract says. The Dagster
    op passes the same names as one JSON object in the environment variable
    HEALTH_DBT_RUN_VARS instead, read here only while dbt executes (`execute`), never
    while it parses: dbt re-parses the whole project whenever `--vars` differ from the
    last invocation's (12 s of every run, docs/decisions/0010), and a value read at parse
    time would be recorded for partial parsing and re-parse the files that read it.
    Parsing needs no window: it only collects refs and configs. A name in
    HEALTH_DBT_RUN_VARS wins over the var of the same name, except in a unit test, whose
    fixture sets its own vars (`overrides`). -#}
{% macro run_var(name, default=none) -%}
    {%- set in_unit_test = model is defined and model is not none and model.resource_type == 'unit_test' -%}
    {%- if execute and not in_unit_test -%}
        {%- set raw = env_var('HEALTH_DBT_RUN_VARS', '') | trim -%}
        {%- if raw != '' -%}
            {%- set passed = fromjson(raw) -%}
            {%- if passed is not mapping -%}
                {{ exceptions.raise_compiler_error("HEALTH_DBT_RUN_VARS must be a JSON object, got: " ~ (raw | tojson)) }}
            {%- endif -%}
            {%- if name in passed -%}
                {{ return(passed[name]) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(var(name, default)) }}
{%- endmacro %}
