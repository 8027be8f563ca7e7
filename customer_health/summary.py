"""A short, readable summary of what the warehouse holds, printed by the main job."""

from __future__ import annotations

from pathlib import Path

import duckdb

from customer_health.insights import health_insights

LAYERS = ("crm", "billing", "product", "support", "survey", "staging", "intermediate", "marts")


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _format_table(headers: list[str], rows: list[tuple]) -> str:
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


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
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_type = 'VIEW'",
            [schema],
        ).fetchone()[0]
        rows.append((schema, len(tables), views, total))
    return rows


def render(duckdb_path: Path) -> str:
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        parts = ["Warehouse layers (tables, views, rows in tables):"]
        parts.append(_format_table(["schema", "tables", "views", "rows"], layer_counts(con)))
        if _table_exists(con, "marts", "dq_rejected_rows"):
            rejected = con.execute(
                "select source_name || '.' || table_name, reason, count(*) "
                "from marts.dq_rejected_rows group by all order by 1, 2"
            ).fetchall()
            parts.append("\nRaw records set aside by staging (marts.dq_rejected_rows):")
            parts.append(_format_table(["table", "reason", "records"], rejected))
        if _table_exists(con, "marts", "fct_account_health_daily"):
            parts.append("\n" + health_insights(con))
            if _table_exists(con, "_demo", "account_truth"):
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
    return "\nMean health score 90 days before the (planted) outcome:\n" + _format_table(
        ["outcome", "accounts", "mean score"], rows
    )
