{#- CSM-readable text for one reason, from an indicator's raw values then and now:
    "license utilization 82% -> 41% (-12 pts)", "overdue invoice 0 days -> 45 days (-8 pts)".
    pts is the change of the indicator's contribution to the health score (effective
    weight x score). Raw values are shown in their unit (seed health_indicators): ratios
    as percentages, days as days, scores and points as numbers; a missing value reads
    "no data". -#}
{% macro health_reason_text(label_column, unit_column, before_column, now_column, change_column) -%}
    {{ dbt.concat([
        label_column, "' '",
        format_indicator_value(before_column, unit_column),
        "' -> '",
        format_indicator_value(now_column, unit_column),
        "' ('",
        "case when " ~ change_column ~ " >= 0 then '+' else '' end",
        format_integer("round(" ~ change_column ~ ", 0)"),
        "' pts)'"
    ]) }}
{%- endmacro %}

{% macro format_integer(expression) -%}
    cast(cast({{ expression }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro format_indicator_value(value_column, unit_column) -%}
    case
        when {{ value_column }} is null then 'no data'
        when {{ unit_column }} = 'ratio' then {{ dbt.concat([format_integer("round(100 * " ~ value_column ~ ", 0)"), "'%'"]) }}
        when {{ unit_column }} = 'days' then {{ dbt.concat([format_integer("round(" ~ value_column ~ ", 0)"), "' days'"]) }}
        else {{ format_integer("round(" ~ value_column ~ ", 0)") }}
    end
{%- endmacro %}

{#- "profile onboarding -> enterprise high touch (+12 pts)": the part of a score change that
    comes from a change of health profile (int_health_score_change_parts). -#}
{% macro profile_change_reason_text(before_column, now_column, change_column) -%}
    {{ dbt.concat([
        "'profile '",
        dbt.replace(before_column, "'_'", "' '"),
        "' -> '",
        dbt.replace(now_column, "'_'", "' '"),
        "' ('",
        "case when " ~ change_column ~ " >= 0 then '+' else '' end",
        format_integer("round(" ~ change_column ~ ", 0)"),
        "' pts)'"
    ]) }}
{%- endmacro %}
