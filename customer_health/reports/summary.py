"""A short, readable summary of what the warehouse holds, printed by the main job."""

from __future__ import annotations

from pathlib import Path

import duckdb

from customer_health.reports.health_detail import health_detail
from customer_health.reports.insights import health_insights
from customer_health.reports.tables import text_table
from customer_health.warehouse import table_exists

LAYERS = ("crm", "billing", "product", "support", "survey", "staging", "intermediate", "marts")


def layer_counts(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    rows = []
    for schema in LAYERS:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE' order by table_name",
            [schema],
        ).fetchall()
        total = 0
        for (table,) in tables:
            total += con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        views = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_type = 'VIEW'",
            [schema],
        ).fetchone()[0]
        rows.append((schema, len(tables), views, total))
    return rows


def render(duckdb_path: Path) -> str:
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        parts = ["Warehouse layers (tables, views, rows in tables):"]
        parts.append(text_table(["schema", "tables", "views", "rows"], layer_counts(con)))
        if table_exists(con, "marts", "dq_rejected_rows"):
            rejected = con.execute(
                "select source_name || '.' || table_name, reason, count(*) "
                "from marts.dq_rejected_rows group by all order by 1, 2"
            ).fetchall()
            parts.append("\nRaw records set aside by staging (marts.dq_rejected_rows):")
            parts.append(text_table(["table", "reason", "records"], rejected))
        if table_exists(con, "marts", "fct_account_health_daily"):
            parts.append("\n" + health_insights(con))
            parts.append(health_detail(con))
            if table_exists(con, "_demo", "account_truth"):
                parts.append(_planted_signal_check(con))
        return "\n".join(parts)
    finally:
        con.close()


def _planted_signal_check(con: duckdb.DuckDBPyConnection) -> str:
    """Mean score 90 days before each planted outcome: the signal a good model must see."""
    rows = con.execute(
        """
        select truth.fate, count(*), avg(health.health_score)
        from _demo.account_truth as truth
        inner join marts.fct_account_health_daily as health
            on health.account_id = truth.account_id
            and health.as_of_date = cast(truth.event_date as date) - 90
        group by all order by 1
        """
    ).fetchall()
    return "\nMean health score 90 days before the (planted) outcome:\n" + text_table(
        ["outcome", "accounts", "mean score"], rows
    )
