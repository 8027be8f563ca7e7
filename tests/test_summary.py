"""The summary the main job (`make demo`) prints, read from the session warehouse: every
section is there, and the numbers it prints are the warehouse's."""

from __future__ import annotations

import duckdb

from customer_health.reports import summary
from customer_health.reports.insights import accounts_most_at_risk


def test_the_summary_has_every_section_with_the_warehouse_numbers(built_warehouse):
    text = summary.render(built_warehouse.path)
    for section in (
        "Warehouse layers (tables, views, rows in tables):",
        f"Health bands on {built_warehouse.end_date}",
        "most at risk",
        "Expansion candidates",
        "Relationship x impact on the latest day:",
        "CSM overrides:",
    ):
        assert section in text, section
    with duckdb.connect(str(built_warehouse.path), read_only=True) as connection:
        scored = connection.execute(
            "select count(*) from marts.fct_account_health_daily where as_of_date = ?",
            [built_warehouse.end_date],
        ).fetchone()[0]
        assert f"Health bands on {built_warehouse.end_date} ({scored} accounts):" in text
        # The list's title counts the accounts it lists: at most the limit, fewer in a
        # smaller book.
        for limit in (10, 1):
            title, *table = accounts_most_at_risk(connection, limit).splitlines()
            listed = len(table) - 2  # the header and its rule
            assert 0 < listed <= limit
            assert title.startswith(f"{listed} account{'s' if listed != 1 else ''} most at risk ("), title
