{#- dbt's cross-database macros where dbt-spark's version differs from the project's
    other engines. dbt's dispatch (namespace dbt) looks in the root project first, so
    these spark__ variants win over dbt-spark's. -#}

{#- dbt-spark's listagg drops the order (collect_list, with a warning), so the text
    would depend on how rows arrive. Spark >= 4.0 has listagg ... within group. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if order_by_clause and not limit_num -%}
    listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
    {%- else -%}
    {{ return(dbt.spark__listagg(measure, delimiter_text, order_by_clause, limit_num)) }}
    {%- endif -%}
{%- endmacro %}
