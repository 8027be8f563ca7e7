{#- The snapshot's block in SQL rather than a YAML `relation:`: dbt 1.11's partial parsing
    loses a YAML-defined snapshot after a macro edit ("depends on a node named
    'snap_crm__accounts' which is disabled"; dbt-core issues 10903, 11444, 15785), and the
    pipeline keeps dbt's parse state between runs (docs/decisions/0024). -#}
{% snapshot snap_crm__accounts %}
{{
    config(
        unique_key="account_id",
        strategy="check",
        check_cols=["parent_account_id", "customer_tier", "support_package", "billing_country", "is_deleted"],
        hard_deletes="invalidate",
    )
}}
-- check_cols: crm.account parent_id, customer_tier__c, support_package__c, billing_country
-- and is_deleted under their staging names.
select * from {{ ref("int_accounts_snapshot_source") }}
{% endsnapshot %}
