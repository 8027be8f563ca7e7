{#- Generic data tests built on plain SQL (dbt hub packages are not available here). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- The primary key of a model, one test (one dbt node, one asset check) instead of
    `unique` plus `not_null`: every key value or combination is present once and has no
    null part. On a column (column_name) or on a composite grain (columns). Fails with one
    row per duplicated key and per key with a null part. -#}
{% test primary_key(model, column_name=none, columns=none) %}
{%- set keys = columns if columns else [column_name] -%}
select {{ keys | join(', ') }}, count(*) as row_count
from {{ model }}
group by {{ keys | join(', ') }}
having count(*) > 1
    {%- for key in keys %}
    or {{ key }} is null
    {%- endfor %}
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
