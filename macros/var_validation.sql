{#- Validation of the dbt vars that reach SQL, so that a malicious or mistyped --vars
    value stops the run with a clear compiler error instead of being pasted into SQL.

    - Source schema vars (crm_schema, billing_schema, product_schema, support_schema,
      survey_schema) must be plain identifiers: a letter or underscore, then letters,
      digits or underscores, at most 63 characters (the portable limit of PostgreSQL,
      Snowflake, BigQuery and DuckDB). Quotes, dots, spaces, semicolons and comments are
      refused.
    - Numeric vars must be whole numbers in a sane range.
    - The health window dates are validated by macros/health_window.sql.

    Schema YAML is rendered without project macros (a macro cannot be called from the
    `schema:` line of a sources file), so the vars are checked where every run starts:
    `validate_vars()` checks every var at once and runs as the project's `on-run-start`
    hook (dbt_project.yml), so that a bad var stops a run before any node executes and
    before any source relation reaches SQL. dbt's builtin `source()` is not overridden. -#}

{% macro _safe_identifier_pattern() -%}
    {{ return('^[A-Za-z_][A-Za-z0-9_]{0,62}$') }}
{%- endmacro %}

{% macro is_safe_identifier(value) -%}
    {{ return(value is string and modules.re.match(_safe_identifier_pattern(), value) is not none) }}
{%- endmacro %}

{#- The value of a schema-name var, validated: returns the name, or stops the run. -#}
{% macro safe_schema_var(var_name, default) -%}
    {%- set value = var(var_name, default) -%}
    {%- if not is_safe_identifier(value) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ var_name ~ "' must be a plain schema name (a letter or underscore, then "
            ~ "letters, digits or underscores; at most 63 characters), got: " ~ (value | string | tojson)
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- The value of a whole-number var, validated: returns an int, or stops the run.
    YAML --vars give ints for plain numbers; a string of digits is accepted too. -#}
{% macro safe_int_var(var_name, default=none, min_value=0, max_value=100000) -%}
    {%- set value = var(var_name, default) -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or not modules.re.match('^-?[0-9]{1,9}$', text) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ var_name ~ "' must be a whole number, got: " ~ (value | string | tojson)
        ) }}
    {%- endif -%}
    {%- set number = text | int -%}
    {%- if number < min_value or number > max_value -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ var_name ~ "' must be between " ~ min_value ~ " and " ~ max_value ~ ", got: " ~ number
        ) }}
    {%- endif -%}
    {{ return(number) }}
{%- endmacro %}

{#- Every var of the project that reaches SQL. Renders to nothing; use it as
    on-run-start: "{{ validate_vars() }}" (or call it from a macro). -#}
{% macro validate_vars() -%}
    {%- for source_name in ['crm', 'billing', 'product', 'support', 'survey'] -%}
        {%- do safe_schema_var(source_name ~ '_schema', source_name) -%}
    {%- endfor -%}
    {%- do safe_int_var('future_timestamp_tolerance_hours', 24, 0, 24 * 365) -%}
    {%- do safe_int_var('score_change_days', 30, 1, 3660) -%}
    {%- do safe_int_var('activity_lookback_days', 60, 1, 3660) -%}
    {%- do safe_int_var('onboarding_days', 90, 1, 3660) -%}
    {%- do safe_int_var('renewal_window_days', 90, 1, 3660) -%}
    {%- do safe_int_var('hierarchy_max_depth', 12, 1, 1000) -%}
    {%- do safe_int_var('override_open_end_days', 90, 1, 3660) -%}
    {%- set currency = var('reporting_currency', 'USD') -%}
    {%- if not (currency is string and modules.re.match('^[A-Z]{3}$', currency)) -%}
        {{ exceptions.raise_compiler_error(
            "var 'reporting_currency' must be an ISO-4217 code in upper case, got: " ~ (currency | string | tojson)
        ) }}
    {%- endif -%}
    {%- do health_window() -%}
{%- endmacro %}
