{#- ROC AUC of a health score for churn per group, by the Mann-Whitney rank formula in portable
    SQL (window functions only): the probability that a churned example scored lower than a
    retained one, ties counting one half. `scored_relation` (a CTE or relation) has the
    `group_columns`, `health_score` and `is_positive` (1 churned, 0 retained). Returns one
    row per group: the group columns, churned_count, retained_count, churn_auc (null when
    either class is empty). Used by int_health_backtest_auc and
    fct_health_backtest_auc_quarterly. -#}
{% macro churn_auc_by(scored_relation, group_columns) -%}
    {{ return(adapter.dispatch('churn_auc_by', 'customer_health')(scored_relation, group_columns)) }}
{%- endmacro %}

{% macro default__churn_auc_by(scored_relation, group_columns) -%}
    {%- set groups = group_columns | join(', ') -%}
select
    {{ groups }},
    cast(churned_count as {{ dbt.type_int() }}) as churned_count,
    cast(retained_count as {{ dbt.type_int() }}) as retained_count,
    cast(
        case
            when churned_count > 0 and retained_count > 0
                then (churned_rank_sum - churned_count * (churned_count + 1) / 2.0)
                / cast(churned_count * retained_count as {{ type_double() }})
        end
        as {{ type_double() }}
    ) as churn_auc
from (
    select
        {{ groups }},
        sum(is_positive) as churned_count,
        sum(1 - is_positive) as retained_count,
        sum(case when is_positive = 1 then min_rank + (tie_count - 1) / 2.0 else 0 end) as churned_rank_sum
    from (
        select
            {{ groups }},
            is_positive,
            rank() over (partition by {{ groups }} order by health_score desc) as min_rank,
            count(*) over (partition by {{ groups }}, health_score) as tie_count
        from {{ scored_relation }}
    ) as ranked
    group by {{ groups }}
) as rank_sums
{%- endmacro %}
