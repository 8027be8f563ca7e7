{#- Spark variants of the project's own portable macros where the default (dbt's
    cross-database macro) does not do the same on Spark. -#}

{#- dbt-spark's listagg drops the order (collect_list, with a warning); Spark >= 4.0 has
    listagg ... within group. -#}
{% macro spark__ordered_listagg(measure, delimiter_text, order_by_clause) -%}
    listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
{%- endmacro %}
