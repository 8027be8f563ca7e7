{#- `expression` held to [low, high] where it is computed, optionally rounded first: scores
    0-100, shares and weights 0-1. Float arithmetic can land a last bit outside a range
    that holds exactly (weights 100 and 1: 100/101 x 100 + 1/101 x 100 gave a health score
    of 100.00000000000001), which a range test then rejects and which no reader expects.
    Rounding to 9 decimals also keeps a band from flipping on float noise at a threshold. -#}
{% macro clamp(expression, low, high, decimals=none) -%}
    {{ return(adapter.dispatch('clamp', 'customer_health')(expression, low, high, decimals)) }}
{%- endmacro %}

{% macro default__clamp(expression, low, high, decimals) -%}
    {%- set value = expression if decimals is none else 'round(' ~ expression ~ ', ' ~ decimals ~ ')' -%}
    {#- Not least(greatest(...)): DuckDB and Spark skip nulls there; a null stays null. -#}
    case
        when {{ value }} < {{ low }} then {{ low }}
        when {{ value }} > {{ high }} then {{ high }}
        else {{ value }}
    end
{%- endmacro %}
