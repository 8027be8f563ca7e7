"""The tables the generator writes: the raw-source contract (`shared/contracts/raw_sources.md`)
and the ground truth in schema `_demo`, each as [(column, type)] in contract order."""

from __future__ import annotations

from healthgen.lifecycle import SIGNALS

RAW_SCHEMAS = ("crm", "billing", "product", "support", "survey")
DEMO_SCHEMA = "_demo"

V, TS, B, BI, I_, D_ = "VARCHAR", "TIMESTAMP", "BOOLEAN", "BIGINT", "INTEGER", "DATE"
# The raw-source contract: table -> [(column, type)] in contract order.
RAW_TABLES: dict[str, list[tuple[str, str]]] = {
    "crm.account": [("id", V), ("name", V), ("parent_id", V), ("type", V), ("industry", V),
                    ("billing_country", V), ("customer_tier__c", V), ("support_package__c", V),
                    ("owner_id", V), ("created_date", TS), ("is_deleted", B),
                    ("_loaded_at", TS)],
    "crm.contact": [("id", V), ("account_id", V), ("first_name", V), ("last_name", V),
                    ("email", V), ("title", V), ("persona__c", V), ("is_deleted", B),
                    ("created_date", TS), ("_loaded_at", TS)],
    "crm.opportunity": [("id", V), ("account_id", V), ("name", V), ("type", V),
                        ("stage_name", V), ("amount", "DECIMAL(18,2)"),
                        ("currency_iso_code", V), ("close_date", D_), ("is_closed", B),
                        ("is_won", B), ("created_date", TS), ("is_deleted", B),
                        ("_loaded_at", TS)],
    "crm.event": [("id", V), ("account_id", V), ("who_id", V), ("subject", V), ("type", V),
                  ("activity_date", TS), ("is_deleted", B), ("_loaded_at", TS)],
    "crm.success_goal": [("id", V), ("account_id", V), ("name", V), ("status", V),
                         ("target_date", D_), ("achieved_date", D_),
                         ("validated_by_customer", B), ("is_deleted", B), ("_loaded_at", TS)],
    "billing.customer": [("id", V), ("email", V), ("name", V), ("metadata", V),
                         ("currency", V), ("delinquent", B), ("created", TS), ("deleted", B),
                         ("_loaded_at", TS)],
    "billing.subscription": [("id", V), ("customer_id", V), ("status", V), ("created", TS),
                             ("start_date", TS), ("current_period_start", TS),
                             ("current_period_end", TS), ("cancel_at_period_end", B),
                             ("canceled_at", TS), ("ended_at", TS), ("_loaded_at", TS)],
    "billing.subscription_item": [("id", V), ("subscription_id", V), ("product_id", V),
                                  ("price_id", V), ("quantity", I_), ("unit_amount", BI),
                                  ("currency", V), ("interval", V), ("created", TS),
                                  ("_loaded_at", TS)],
    "billing.invoice": [("id", V), ("customer_id", V), ("subscription_id", V), ("status", V),
                        ("amount_due", BI), ("amount_paid", BI), ("amount_remaining", BI),
                        ("currency", V), ("created", TS), ("due_date", TS), ("paid_at", TS),
                        ("period_start", TS), ("period_end", TS), ("_loaded_at", TS)],
    "product.users": [("id", V), ("account_id", V), ("email", V), ("role", V),
                      ("is_licensed", B), ("created_at", TS), ("deactivated_at", TS),
                      ("_loaded_at", TS)],
    "product.tracks": [("id", V), ("user_id", V), ("event", V), ("feature", V),
                       ("product_id", V), ("timestamp", TS), ("received_at", TS),
                       ("_loaded_at", TS)],
    "support.organization": [("id", BI), ("external_id", V), ("name", V), ("_loaded_at", TS)],
    "support.ticket": [("id", BI), ("organization_id", BI), ("requester_email", V),
                       ("priority", V), ("status", V), ("type", V), ("created_at", TS),
                       ("solved_at", TS), ("satisfaction_rating", V), ("is_deleted", B),
                       ("_loaded_at", TS)],
    "survey.nps_response": [("id", V), ("email", V), ("score", I_), ("comment", V),
                            ("created_at", TS), ("_loaded_at", TS)],
    # Optional in the contract: a CRM without the custom object has no such table.
    "crm.health_override__c": [("id", V), ("account__c", V), ("health_band__c", V),
                               ("health_score__c", "DOUBLE"), ("reason__c", V),
                               ("created_by_id", V), ("start_date__c", D_), ("end_date__c", D_),
                               ("is_deleted", B), ("_loaded_at", TS)],
}  # fmt: skip

DEMO_TABLES: dict[str, list[tuple[str, str]]] = {
    "_demo.account_truth": [
        ("account_id", V), ("fate", V), ("event_date", D_), ("signal_start_date", D_),
        ("is_future", B), ("billing_interval", V), ("customer_tier", V), ("product_id", V),
        ("seats_before", I_), ("seats_after", I_), ("subscription_id", V),
        ("renewal_style", V), ("noise", V), ("signals", V),
        *[(f"has_{s}", B) for s in SIGNALS],
    ],
    "_demo.planted_bad_rows": [("table_name", V), ("record_id", V), ("kind", V)],
    "_demo.generation_params": [("key", V), ("value", V)],
    "_demo.product_truth": [("account_id", V), ("product_id", V), ("signal", V),
                            ("signal_start_date", D_), ("fade_days", I_)],
}  # fmt: skip
