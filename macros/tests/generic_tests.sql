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

{#- The values a model's columns may hold, as ONE test per model (one dbt node, one asset
    check) instead of one per column and rule, as `primary_key` is for keys
    (docs/decisions/0016 and 0023):
    - not_null: [column, ...]: the columns hold no null;
    - accepted_values: {column: [value, ...]}: the text values a column may hold (a null
      passes, as in dbt's accepted_values);
    - between: {column: [min, max]}: the inclusive range of a column's values (a null passes).
    Fails with one row per column, rule and failing value, with its number of rows. -#}
{% test column_values(model, not_null=[], accepted_values={}, between={}) %}
{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append((column, 'not_null', column ~ ' is null')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}{%- do quoted.append(dbt.string_literal(value)) -%}{%- endfor -%}
    {%- do rules.append((column, 'accepted_values', column ~ ' not in (' ~ quoted | join(', ') ~ ')')) -%}
{%- endfor -%}
{%- for column, bounds in between.items() -%}
    {%- do rules.append((column, 'between', column ~ ' < ' ~ bounds[0] ~ ' or ' ~ column ~ ' > ' ~ bounds[1])) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error("column_values on " ~ model ~ ": no rule (not_null, accepted_values or between)") }}
{%- endif %}
with checked as (
    select * from {{ model }}
)
{%- for column, rule, failing in rules %}
{% if not loop.first %}union all
{% endif -%}
select
    '{{ column }}' as column_name,
    '{{ rule }}' as rule,
    {% if rule == 'not_null' -%}
    cast(null as {{ dbt.type_string() }}) as failing_value,
    {%- else -%}
    cast({{ column }} as {{ dbt.type_string() }}) as failing_value,
    {%- endif %}
    count(*) as row_count
from checked
where {{ failing }}
{% if rule == 'not_null' -%}
having count(*) > 0
{%- else -%}
group by {{ column }}
{%- endif %}
{%- endfor %}
{% endtest %}
