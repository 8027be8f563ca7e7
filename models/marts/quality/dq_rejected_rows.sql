-- One row per raw record set aside, with the reason: set aside by staging (a problem
-- within the record) or by the intermediate layer (a link to another table that does not
-- hold). Together with the usable and the soft-deleted records it accounts for every raw
-- record (see the row_conservation tests on the usable models).

with

crm as (
    select * from {{ ref('int_crm_rejected_rows') }}
),

billing as (
    select * from {{ ref('int_billing_rejected_rows') }}
),

product as (
    -- Without checked_through, which only the incremental product model keeps.
    select
        source_name,
        table_name,
        record_key,
        record_id,
        reason,
        loaded_at
    from {{ ref('int_product_rejected_rows') }}
),

support as (
    select * from {{ ref('int_support_rejected_rows') }}
),

survey as (
    select * from {{ ref('int_survey_rejected_rows') }}
),

unioned as (
    select * from crm
    union all
    select * from billing
    union all
    select * from product
    union all
    select * from support
    union all
    select * from survey
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
