-- One row per raw record set aside by staging, with the reason. Together with the
-- staged and the soft-deleted records it accounts for every raw record
-- (see the row_conservation tests on the staging models).
{%- set tables = staging_tables() %}
-- depends_on: {% for t in tables %}{{ ref(t['base_model']) }} {% endfor %}

with

{% for t in tables %}
{{ t['base_model'] }}_rejected as (
    select
        cast('{{ t['source_name'] }}' as {{ dbt.type_string() }}) as source_name,
        cast('{{ t['table_name'] }}' as {{ dbt.type_string() }}) as table_name,
        cast({{ t['key'] }} as {{ dbt.type_string() }}) as record_id,
        rejection_reason as reason,
        loaded_at
    from {{ ref(t['base_model']) }}
    where rejection_reason is not null
        and not is_deleted
),

{% endfor %}
unioned as (
    {% for t in tables %}
    select * from {{ t['base_model'] }}_rejected
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

numbered as (
    -- Rows whose key is null can share a load time: number them so that ids stay unique.
    select
        *,
        row_number() over (
            partition by source_name, table_name, record_id, loaded_at
            order by reason
        ) as occurrence
    from unioned
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'source_name', "'.'", 'table_name', "'|'",
            "coalesce(record_id, '<null>')", "'|'",
            "coalesce(" ~ dbt.cast('loaded_at', dbt.type_string()) ~ ", '<null>')", "'|'",
            dbt.cast('occurrence', dbt.type_string())
        ])) }} as rejected_row_id,
        source_name,
        table_name,
        record_id,
        reason,
        loaded_at
    from numbered
)

select * from final
