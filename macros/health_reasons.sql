{#- CSM-readable text for one reason: "license utilization fell from 82 to 41 (-12 pts)".
    Scores are the indicator's 0-100 scores; pts is its change in contribution to the
    health score. A missing score reads "no data". -#}
{% macro health_reason_text(label_column, before_column, now_column, change_column) -%}
    {%- set int_type = dbt.type_int() -%}
    {%- set text_type = dbt.type_string() -%}
    {{ dbt.concat([
        label_column,
        "case when " ~ change_column ~ " < 0 then ' fell from ' else ' rose from ' end",
        "coalesce(cast(cast(round(" ~ before_column ~ ", 0) as " ~ int_type ~ ") as " ~ text_type ~ "), 'no data')",
        "' to '",
        "coalesce(cast(cast(round(" ~ now_column ~ ", 0) as " ~ int_type ~ ") as " ~ text_type ~ "), 'no data')",
        "' ('",
        "case when " ~ change_column ~ " >= 0 then '+' else '' end",
        "cast(cast(round(" ~ change_column ~ ", 0) as " ~ int_type ~ ") as " ~ text_type ~ ")",
        "' pts)'"
    ]) }}
{%- endmacro %}
