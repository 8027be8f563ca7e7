{#- Generic data tests built on plain SQL (dbt hub packages are not available here). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test value_between(model, column_name, min_value, max_value) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{#- Weights of each group sum to 1 (within a tolerance); with allow_all_zero, a group
    whose weights are all zero passes too (nothing counted that day). -#}
{% test weights_sum_to_one(model, group_by, weight_column, allow_all_zero=false, tolerance=0.000001) %}
select {{ group_by | join(', ') }}, sum({{ weight_column }}) as weight_total
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ weight_column }}) - 1) > {{ tolerance }}
    {% if allow_all_zero %}and abs(sum({{ weight_column }})) > {{ tolerance }}{% endif %}
{% endtest %}

{% test exactly_one_row(model) %}
select count(*) as row_count from {{ model }} having count(*) <> 1
{% endtest %}
