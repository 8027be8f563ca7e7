{#- An indicator's score (0-100) from its raw value by the marts contract (step 2 and 3):
    `linear` 0 at the poor value, 100 at the good value, a straight line between, clamped,
    the direction following from which value is larger; `bands` 0 / 50 / 100 with the two
    values as cut points; a missing raw value scores by the missing policy (`neutral` 50,
    `poor` 0, `ignore` null: left out). One expression for int_indicator_scores_daily and
    for re-scoring an earlier day under another profile (int_health_score_change_parts). -#}
{% macro indicator_score_expression(raw_value, scoring_method, poor_value, good_value, missing_policy) -%}
    {{ return(adapter.dispatch('indicator_score_expression', 'customer_health')(raw_value, scoring_method, poor_value, good_value, missing_policy)) }}
{%- endmacro %}

{% macro default__indicator_score_expression(raw_value, scoring_method, poor_value, good_value, missing_policy) -%}
    case
        when {{ raw_value }} is null then
            case {{ missing_policy }} when 'neutral' then 50.0 when 'poor' then 0.0 end
        when {{ scoring_method }} = 'linear' then
            greatest(0.0, least(100.0,
                100.0 * ({{ raw_value }} - {{ poor_value }})
                / ({{ good_value }} - {{ poor_value }})
            ))
        when {{ good_value }} > {{ poor_value }} and {{ raw_value }} >= {{ good_value }}
            then 100.0
        when {{ good_value }} > {{ poor_value }} and {{ raw_value }} <= {{ poor_value }}
            then 0.0
        when {{ good_value }} < {{ poor_value }} and {{ raw_value }} <= {{ good_value }}
            then 100.0
        when {{ good_value }} < {{ poor_value }} and {{ raw_value }} >= {{ poor_value }}
            then 0.0
        else 50.0
    end
{%- endmacro %}
