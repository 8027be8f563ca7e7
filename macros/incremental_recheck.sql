{#- Custom incremental strategy `recheck`, for a table of verdicts (int_product_rejected_rows):
    a run rechecks only the records whose verdict can have changed since the last run, and
    its batch holds every rechecked record once with its verdict, or with a null verdict
    when the record no longer belongs in the table (a tombstone). Every key of the batch is
    deleted, then the rows with a verdict are inserted, in one transaction. The model names
    its verdict column in the config `recheck_verdict`; `unique_key` is a column or a list.
    dbt's own `delete+insert` deletes the same keys but would insert the tombstones too. -#}
{% macro get_incremental_recheck_sql(arg_dict) -%}
    {{ return(adapter.dispatch('recheck_sql', 'customer_health')(arg_dict)) }}
{%- endmacro %}

{% macro default__recheck_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set verdict = config.get('recheck_verdict') -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- if not verdict or not keys -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'recheck' needs the model configs 'recheck_verdict' and 'unique_key'") }}
    {%- endif -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    using {{ batch }} as rechecked
    where {% for key in keys %}{{ target }}.{{ key }} = rechecked.{{ key }}{% if not loop.last %}
        and {% endif %}{% endfor %};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ batch }}
    where {{ verdict }} is not null;
{%- endmacro %}
