{#- The registry of raw tables and their models: one entry per raw table of the raw-source
    contract. For each: its base model (latest version per key, `is_deleted`,
    `rejection_reason` of the checks within the record), the base model's key column, and
    its usable model, the relation downstream models read: the staging model where no
    check needs a second table (crm.account), else the intermediate model that keeps the
    staged rows whose links to other tables hold. The per-source models
    int_<source>_rejected_rows, the row_conservation tests and the Python tests read it,
    so a new raw table is added here once. -#}
{% macro staging_tables() -%}
    {{ return([
        {'source_name': 'crm', 'table_name': 'account', 'base_model': 'base_crm__accounts', 'key': 'account_id', 'usable_model': 'stg_crm__accounts'},
        {'source_name': 'crm', 'table_name': 'contact', 'base_model': 'base_crm__contacts', 'key': 'contact_id', 'usable_model': 'int_contacts_linked'},
        {'source_name': 'crm', 'table_name': 'opportunity', 'base_model': 'base_crm__opportunities', 'key': 'opportunity_id', 'usable_model': 'int_opportunities_linked'},
        {'source_name': 'crm', 'table_name': 'event', 'base_model': 'base_crm__meetings', 'key': 'meeting_id', 'usable_model': 'int_meetings_linked'},
        {'source_name': 'crm', 'table_name': 'success_goal', 'base_model': 'base_crm__success_goals', 'key': 'success_goal_id', 'usable_model': 'int_success_goals_linked'},
        {'source_name': 'crm', 'table_name': 'health_override__c', 'base_model': 'base_crm__health_overrides', 'key': 'override_id', 'usable_model': 'int_health_overrides_linked'},
        {'source_name': 'billing', 'table_name': 'customer', 'base_model': 'base_billing__customers', 'key': 'customer_id', 'usable_model': 'int_billing_customers_linked'},
        {'source_name': 'billing', 'table_name': 'subscription', 'base_model': 'base_billing__subscriptions', 'key': 'subscription_id', 'usable_model': 'int_subscriptions_linked'},
        {'source_name': 'billing', 'table_name': 'subscription_item', 'base_model': 'base_billing__subscription_items', 'key': 'subscription_item_id', 'usable_model': 'int_subscription_items_linked'},
        {'source_name': 'billing', 'table_name': 'invoice', 'base_model': 'base_billing__invoices', 'key': 'invoice_id', 'usable_model': 'int_invoices_linked'},
        {'source_name': 'product', 'table_name': 'users', 'base_model': 'base_product__users', 'key': 'user_id', 'usable_model': 'int_product_users_linked'},
        {'source_name': 'product', 'table_name': 'tracks', 'base_model': 'base_product__tracks', 'key': 'event_id', 'usable_model': 'int_product_events_linked'},
        {'source_name': 'support', 'table_name': 'organization', 'base_model': 'base_support__organizations', 'key': 'organization_id', 'usable_model': 'int_support_organizations_linked'},
        {'source_name': 'support', 'table_name': 'ticket', 'base_model': 'base_support__tickets', 'key': 'ticket_id', 'usable_model': 'int_support_tickets_linked'},
        {'source_name': 'survey', 'table_name': 'nps_response', 'base_model': 'base_survey__nps_responses', 'key': 'nps_response_id', 'usable_model': 'int_nps_responses_linked'},
    ]) }}
{%- endmacro %}

{#- The registry entry of one raw table (stops the run when there is none). -#}
{% macro staging_table_entry(source_name, table_name) -%}
    {%- for entry in staging_tables() -%}
        {%- if entry['source_name'] == source_name and entry['table_name'] == table_name -%}
            {{ return(entry) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no raw table " ~ source_name ~ "." ~ table_name ~ " in staging_tables()") }}
{%- endmacro %}

{#- The records of one source's raw tables that staging set aside (a problem within the
    record) as (table_name, record_key, record_id, reason, loaded_at): one `union all`
    branch per raw table of the source. Used by int_<source>_rejected_rows, which adds
    the records set aside for their links to other tables. -#}
{% macro set_aside_by_staging(source_name) -%}
    {%- set tables = [] -%}
    {%- for entry in staging_tables() if entry['source_name'] == source_name -%}
        {%- do tables.append(entry) -%}
    {%- endfor -%}
    {%- for t in tables %}
    select
        cast('{{ t['table_name'] }}' as {{ dbt.type_string() }}) as table_name,
        record_key,
        cast({{ t['key'] }} as {{ dbt.type_string() }}) as record_id,
        rejection_reason as reason,
        loaded_at
    from {{ ref(t['base_model']) }}
    where rejection_reason is not null
        and not is_deleted
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
