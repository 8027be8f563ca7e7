"""Fixed reference data of the demo book of business.

The dbt project mirrors `FEATURE_CATALOG` (and the product ids) in a seed; keep both in
step when either changes.
"""

from __future__ import annotations

# The separately sold modules, as billing `product_id` and tracks `product_id`.
PRODUCTS: tuple[str, ...] = (
    "prod_core",
    "prod_analytics",
    "prod_automation",
    "prod_integrations",
)

PRODUCT_NAMES: dict[str, str] = {
    "prod_core": "Core",
    "prod_analytics": "Analytics",
    "prod_automation": "Automation",
    "prod_integrations": "Integrations",
}

# The product's feature catalogue: (product_id, feature, events the feature emits).
# The first event of a feature is its most frequent one. Every tracked event names a
# feature of this catalogue, except `SESSION_EVENT`, which has neither feature nor product.
FEATURE_CATALOG: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("prod_core", "dashboards", ("dashboard_viewed", "dashboard_created")),
    ("prod_core", "reports", ("report_viewed", "report_created")),
    ("prod_core", "sharing", ("content_shared",)),
    ("prod_core", "search", ("search_performed",)),
    ("prod_analytics", "explorer", ("exploration_run",)),
    ("prod_analytics", "custom_metrics", ("metric_defined",)),
    ("prod_analytics", "exports", ("export_created",)),
    ("prod_automation", "workflows", ("workflow_run", "workflow_created")),
    ("prod_automation", "alert_rules", ("alert_configured", "alert_triggered")),
    ("prod_automation", "scheduling", ("schedule_created",)),
    ("prod_integrations", "api", ("api_call",)),
    ("prod_integrations", "webhooks", ("integration_synced", "webhook_configured")),
    ("prod_integrations", "sso", ("sso_login",)),
)

SESSION_EVENT = "session_started"

# List price per seat per month, in US cents. The yearly price is ten months' worth.
MONTHLY_LIST_PRICE_USD_CENTS: dict[str, int] = {
    "prod_core": 5000,
    "prod_analytics": 3000,
    "prod_automation": 4000,
    "prod_integrations": 2000,
}
YEARLY_MONTHS_CHARGED = 10

# Billing currencies (Stripe style, lower case), minor-unit exponent and the rate used
# to derive the local price list from the USD one.
CURRENCIES: dict[str, tuple[int, float]] = {
    "usd": (2, 1.0),
    "eur": (2, 0.92),
    "gbp": (2, 0.79),
    "jpy": (0, 150.0),
    "aud": (2, 1.5),
    "cad": (2, 1.35),
}

# Countries of the book: (ISO alpha-2, English name, share of accounts, billing currency,
# UTC offset in hours of the working day).
COUNTRIES: tuple[tuple[str, str, float, str, float], ...] = (
    ("US", "United States", 0.38, "usd", -5.0),
    ("GB", "United Kingdom", 0.10, "gbp", 0.0),
    ("DE", "Germany", 0.09, "eur", 1.0),
    ("FR", "France", 0.06, "eur", 1.0),
    ("NL", "Netherlands", 0.04, "eur", 1.0),
    ("JP", "Japan", 0.05, "jpy", 9.0),
    ("AU", "Australia", 0.05, "aud", 10.0),
    ("CA", "Canada", 0.07, "cad", -5.0),
    ("BR", "Brazil", 0.03, "usd", -3.0),
    ("IN", "India", 0.04, "usd", 5.5),
    ("SG", "Singapore", 0.03, "usd", 8.0),
    ("ES", "Spain", 0.03, "eur", 1.0),
    ("SE", "Sweden", 0.03, "eur", 1.0),
)


def unit_amount(product_id: str, currency: str, interval: str) -> int:
    """List price of one seat for one interval, in the currency's minor unit."""
    usd_cents = MONTHLY_LIST_PRICE_USD_CENTS[product_id]
    if interval == "year":
        usd_cents *= YEARLY_MONTHS_CHARGED
    exponent, rate = CURRENCIES[currency]
    major = usd_cents / 100 * rate
    if exponent == 0:
        return int(round(major / 100) * 100)
    return int(round(major) * 100)


def price_id(product_id: str, currency: str, interval: str) -> str:
    """Stable Stripe-like price id of a catalogue price."""
    return f"price_{product_id.removeprefix('prod_')}_{currency}_{interval}ly"
