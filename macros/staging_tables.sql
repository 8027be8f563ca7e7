{#- The registry of raw tables and their base models: one entry per raw table of the
    raw-source contract. dq_rejected_rows and the row-conservation tests read it, so a
    new raw table is added here once. -#}
{% macro staging_tables() -%}
    {{ return([
        {'source_name': 'crm', 'table_name': 'account', 'base_model': 'base_crm__accounts', 'key': 'account_id'},
        {'source_name': 'crm', 'table_name': 'contact', 'base_model': 'base_crm__contacts', 'key': 'contact_id'},
        {'source_name': 'crm', 'table_name': 'opportunity', 'base_model': 'base_crm__opportunities', 'key': 'opportunity_id'},
        {'source_name': 'crm', 'table_name': 'event', 'base_model': 'base_crm__meetings', 'key': 'meeting_id'},
        {'source_name': 'crm', 'table_name': 'success_goal', 'base_model': 'base_crm__success_goals', 'key': 'success_goal_id'},
        {'source_name': 'billing', 'table_name': 'customer', 'base_model': 'base_billing__customers', 'key': 'customer_id'},
        {'source_name': 'billing', 'table_name': 'subscription', 'base_model': 'base_billing__subscriptions', 'key': 'subscription_id'},
        {'source_name': 'billing', 'table_name': 'subscription_item', 'base_model': 'base_billing__subscription_items', 'key': 'subscription_item_id'},
        {'source_name': 'billing', 'table_name': 'invoice', 'base_model': 'base_billing__invoices', 'key': 'invoice_id'},
        {'source_name': 'product', 'table_name': 'users', 'base_model': 'base_product__users', 'key': 'user_id'},
        {'source_name': 'product', 'table_name': 'tracks', 'base_model': 'base_product__tracks', 'key': 'event_id'},
        {'source_name': 'support', 'table_name': 'organization', 'base_model': 'base_support__organizations', 'key': 'organization_id'},
        {'source_name': 'support', 'table_name': 'ticket', 'base_model': 'base_support__tickets', 'key': 'ticket_id'},
        {'source_name': 'survey', 'table_name': 'nps_response', 'base_model': 'base_survey__nps_responses', 'key': 'nps_response_id'},
    ]) }}
{%- endmacro %}
