{#- Model contracts on Spark: dbt-spark adds the not_null constraints of an enforced
    contract with ALTER COLUMN ... SET NOT NULL whenever file_format is unset (it assumes
    Delta), which plain Parquet tables refuse. On Parquet the constraints are not
    persisted (Spark cannot enforce them there); the contract's column names and types
    are still checked at build time and the not_null data tests still run. On Delta the
    constraints are persisted as dbt-spark does. -#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('file_format') == 'delta' -%}
        {% do dbt.spark__persist_constraints(relation, model) %}
    {%- endif -%}
{%- endmacro %}
