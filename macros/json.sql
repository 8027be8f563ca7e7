{#- JSON access on text columns, dispatched because every engine spells it differently. -#}

{% macro json_is_valid(text_column) -%}
    {{ return(adapter.dispatch('json_is_valid', 'customer_health')(text_column)) }}
{%- endmacro %}

{% macro default__json_is_valid(text_column) -%}
    coalesce(json_valid({{ text_column }}), false)
{%- endmacro %}

{% macro spark__json_is_valid(text_column) -%}
    (from_json({{ text_column }}, 'map<string,string>') is not null)
{%- endmacro %}

{% macro json_extract_text(text_column, key) -%}
    {{ return(adapter.dispatch('json_extract_text', 'customer_health')(text_column, key)) }}
{%- endmacro %}

{% macro default__json_extract_text(text_column, key) -%}
    json_extract_string({{ text_column }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_extract_text(text_column, key) -%}
    get_json_object({{ text_column }}, '$.{{ key }}')
{%- endmacro %}
