{#- Row conservation for one staging model: every distinct raw key (and every raw row
    whose key is null) is either staged, soft-deleted, or set aside in dq_rejected_rows.
    Fails with one row showing the four counts when they do not add up. -#}
{% test row_conservation(model, source_relation, source_key, base_model, source_name, table_name) %}

with

raw_records as (
    select
        count(distinct {{ source_key }})
        + sum(case when {{ source_key }} is null then 1 else 0 end) as record_count
    from {{ source_relation }}
),

staged as (
    select count(*) as record_count from {{ model }}
),

deleted as (
    select count(*) as record_count from {{ ref(base_model) }} where is_deleted
),

set_aside as (
    select count(*) as record_count
    from {{ ref('dq_rejected_rows') }}
    where source_name = '{{ source_name }}'
        and table_name = '{{ table_name }}'
)

select
    raw_records.record_count as raw_record_count,
    staged.record_count as staged_count,
    deleted.record_count as deleted_count,
    set_aside.record_count as set_aside_count
from raw_records
cross join staged
cross join deleted
cross join set_aside
where raw_records.record_count
    <> staged.record_count + deleted.record_count + set_aside.record_count

{% endtest %}
