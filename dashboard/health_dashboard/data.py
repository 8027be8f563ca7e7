"""Read-only access to the published serving copy of the health marts.

The dashboard reads ONLY the serving copy that `customer_health.serving` publishes (an
immutable DuckDB file per publication, behind the pointer `<serving>/current.duckdb`),
never the warehouse that dbt writes. `serving_path()` is the one place that decides which
file that is. Every query goes through `query()`, which caches the result per (file,
modification time, SQL, parameters) with a TTL: a new publication is a new file, so the
first rerun after it reads fresh data and older cache entries simply expire.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

SERVING_PATH_ENV = "HEALTH_SERVING_PATH"
PROJECT_DIR = Path(__file__).resolve().parents[2]
CACHE_TTL_SECONDS = 600
MARTS = "marts"


class ServingCopyMissing(RuntimeError):
    """No published serving copy could be found."""


@dataclass(frozen=True)
class Source:
    """One publication file, identified by its resolved path and modification time."""

    path: str
    mtime_ns: int


def serving_path() -> Path | None:
    """The serving DuckDB file the dashboard reads, or None before the first publication.

    $HEALTH_SERVING_PATH (a publication file, or a serving directory) wins; otherwise the
    current publication of `customer_health.serving` ($HEALTH_SERVING_DIR, else
    <project>/serving)."""
    override = os.environ.get(SERVING_PATH_ENV, "").strip()
    if override:
        candidate = Path(override).expanduser()
        if candidate.is_dir():
            return _current_publication(candidate)
        return candidate.resolve() if candidate.exists() else None
    return _current_publication(None)


def _current_publication(serving_dir: Path | None) -> Path | None:
    try:
        from customer_health.serving import current_path
    except ImportError:  # the serving module is not installed: fall back to its layout
        directory = serving_dir or Path(os.environ.get("HEALTH_SERVING_DIR", PROJECT_DIR / "serving"))
        pointer = directory / "current.duckdb"
        return pointer.resolve() if pointer.exists() else None
    path = current_path(serving_dir)
    return path if path is not None and path.exists() else None


def serving_dir() -> Path:
    """The serving directory: $HEALTH_SERVING_PATH when it names one, else that of
    `customer_health` ($HEALTH_SERVING_DIR, else <project>/serving). Calibration reports
    are published there beside the marts (customer_health/calibrate/store.py)."""
    override = os.environ.get(SERVING_PATH_ENV, "").strip()
    if override and Path(override).expanduser().is_dir():
        return Path(override).expanduser()
    if override:
        # A publication file: <serving>/publications/<file> or <serving>/current.duckdb.
        path = Path(override).expanduser()
        return path.parent.parent if path.parent.name == "publications" else path.parent
    return Path(os.environ.get("HEALTH_SERVING_DIR", "").strip() or PROJECT_DIR / "serving")


def latest_calibration() -> tuple[dict[str, Any], str] | None:
    """The latest calibration report (report.json, report.md), or None: the run directory
    that <serving>/calibration/LATEST names (customer_health/calibrate/store.py)."""
    pointer = serving_dir() / "calibration" / "LATEST"
    if not pointer.exists():
        return None
    run_dir = pointer.parent / pointer.read_text(encoding="utf-8").strip()
    if not (run_dir / "report.json").exists():
        return None
    markdown = run_dir / "report.md"
    return (
        json.loads((run_dir / "report.json").read_text(encoding="utf-8")),
        markdown.read_text(encoding="utf-8") if markdown.exists() else "",
    )


def source() -> Source:
    path = serving_path()
    if path is None:
        raise ServingCopyMissing(
            "No published serving copy found. Build the warehouse, then publish it with "
            "`python -m customer_health.serving publish` (or point $HEALTH_SERVING_PATH at a "
            "serving DuckDB file)."
        )
    return Source(str(path), path.stat().st_mtime_ns)


@st.cache_resource(max_entries=3, show_spinner=False)
def _connection(path: str, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    # Read-only: the publication is immutable and other readers share it.
    return duckdb.connect(path, read_only=True)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=1024, show_spinner=False)
def _query(path: str, mtime_ns: int, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    cursor = _connection(path, mtime_ns).cursor()  # one cursor per query: thread-safe
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


def query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """Run a read-only query on the current publication (cached)."""
    current = source()
    return _query(current.path, current.mtime_ns, sql, tuple(params))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _tables(path: str, mtime_ns: int) -> frozenset[str]:
    cursor = _connection(path, mtime_ns).cursor()
    try:
        rows = cursor.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "union all select schema_name || '.' || view_name from duckdb_views() where not internal"
        ).fetchall()
    finally:
        cursor.close()
    return frozenset(name for (name,) in rows)


def has_table(name: str, schema: str = MARTS) -> bool:
    current = source()
    return f"{schema}.{name}" in _tables(current.path, current.mtime_ns)


def publication_info() -> dict[str, Any]:
    """The `_serving.publication` row of the file (empty when it has none)."""
    if not has_table("publication", schema="_serving"):
        return {}
    frame = query("select * from _serving.publication limit 1")
    return {} if frame.empty else frame.iloc[0].to_dict()


def as_of_range() -> tuple[dt.date, dt.date] | None:
    """First and last as_of_date of fct_account_health_daily."""
    if not has_table("fct_account_health_daily"):
        return None
    frame = query(
        "select min(as_of_date) as first_day, max(as_of_date) as last_day from marts.fct_account_health_daily"
    )
    first, last = frame.iloc[0]["first_day"], frame.iloc[0]["last_day"]
    if pd.isna(first) or pd.isna(last):
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def account_names(account_ids: Sequence[str]) -> dict[str, str]:
    """Display names (from dim_account when published; else the ids themselves)."""
    ids = sorted({str(a) for a in account_ids if a is not None and not pd.isna(a)})
    if not ids or not has_table("dim_account"):
        return {a: a for a in ids}
    frame = query(
        "select account_id, account_name from marts.dim_account where account_id in (select unnest(?))",
        [ids],
    )
    names = dict(zip(frame["account_id"], frame["account_name"], strict=True))
    return {a: (names.get(a) or a) for a in ids}


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _columns(path: str, mtime_ns: int, table: str) -> frozenset[str]:
    cursor = _connection(path, mtime_ns).cursor()
    try:
        rows = cursor.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [MARTS, table],
        ).fetchall()
    finally:
        cursor.close()
    return frozenset(name for (name,) in rows)


def has_column(table: str, column: str) -> bool:
    current = source()
    return column in _columns(current.path, current.mtime_ns, table)


@dataclass(frozen=True)
class LiveDay:
    """Whether a day's figures are partial (computed while the day was still running)."""

    day: dt.date
    is_partial: bool
    computed_at: dt.datetime | None


def live_day(day: dt.date) -> LiveDay:
    """The live-day columns of fct_account_health_daily for `day` (marts contract, "Live
    days"); publications from before they existed count as final."""
    table = "fct_account_health_daily"
    if not has_table(table) or not has_column(table, "is_partial_day"):
        return LiveDay(day, False, None)
    frame = query(
        "select coalesce(bool_or(is_partial_day), false) as is_partial, max(computed_at) as computed_at "
        "from marts.fct_account_health_daily where as_of_date = ?",
        [day],
    )
    computed = frame.iloc[0]["computed_at"]
    return LiveDay(
        day,
        bool(frame.iloc[0]["is_partial"]),
        None if pd.isna(computed) else pd.Timestamp(computed).to_pydatetime(),
    )
