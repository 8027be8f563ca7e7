"""Run the Great Expectations suites on the warehouse: the raw load profile and the marts.

The warehouse is read with DuckDB, read-only, and only what the suites need is pulled
into pandas: one profile row per raw table (aggregated in SQL), the distinct day and
version pairs of a daily mart's window, the column names of the public marts. Results are
per table, so that Dagster attaches each to the asset it describes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from customer_health import config
from customer_health import manifest as dbt_manifest
from customer_health.quality.gx_project import (
    DEFAULT_GX_PROJECT,
    QualityResult,
    SuiteResult,
    gx_project,
    open_in_background,
)
from customer_health.quality.suites import (
    COLUMNS_SUITE,
    LOAD_PROFILE_SUITE,
    MART_SCHEMA,
    all_suites,
    daily_marts,
    mart_suite_name,
)
from customer_health.safety import parse_window, safe_identifier
from customer_health.warehouse import connect_read_only, table_exists


def open_ahead(
    manifest: Mapping[str, Any] | None = None, gx_project_root: Path | None = None
) -> threading.Thread:
    """Open, in a thread, the GX project that validate_raw and validate_marts of this
    process will use (the suites of `manifest`, default the project's)."""
    manifest = manifest if manifest is not None else dbt_manifest.load_manifest()
    return open_in_background(all_suites(manifest), gx_project_root)


def public_mart_names(manifest: Mapping[str, Any]) -> list[str]:
    """Every model of the schema `marts` (what the serving copy publishes)."""
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model" and node.get("config", {}).get("schema") == MART_SCHEMA
    )


# ----------------------------------------------------------------------------- marts


def _window_frame(con: duckdb.DuckDBPyConnection, table: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The window's distinct (as_of_date, definition_version) pairs, with their row counts:
    every expectation of the window suite (rows written, the days, one version) reads the
    same on these as on the rows, which are aggregated in SQL instead of pulled into pandas
    (at 10,000 accounts x 180 days, tens of millions of rows: 60 s of the rescore before)."""
    return con.execute(
        f"select as_of_date, definition_version, count(*) as row_count "
        f"from {MART_SCHEMA}.{safe_identifier(table)} "
        "where as_of_date >= ? and as_of_date < ? group by as_of_date, definition_version",
        [start, end + dt.timedelta(days=1)],
    ).df()


def _columns_frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [MART_SCHEMA, table],
    ).df()


def validate_marts(
    duckdb_path: Path | str,
    start_date: dt.date | str,
    end_date: dt.date | str,
    *,
    tables: Iterable[str] | None = None,
    manifest: Mapping[str, Any] | None = None,
    gx_project_root: Path | None = None,
    data_docs: bool = False,
) -> QualityResult:
    """Validate the public marts a run wrote for the window start_date..end_date (inclusive):
    the window suite of each daily mart and the personal-data scan of every mart's columns.
    Blocking: publish only when `.success`. A mart that does not exist fails."""
    start, end = parse_window(start_date, end_date)
    manifest = manifest if manifest is not None else dbt_manifest.load_manifest()
    wanted = sorted(tables) if tables is not None else public_mart_names(manifest)
    daily = set(daily_marts(manifest))
    parameters = {
        "window_start": pd.Timestamp(start),
        "window_end": pd.Timestamp(end),
        "window_days": (end - start).days + 1,
    }
    batches: list[tuple[str, str, pd.DataFrame, Mapping[str, Any]]] = []
    result = QualityResult(scope="marts")
    with connect_read_only(duckdb_path) as con:
        for table in wanted:
            if not table_exists(con, MART_SCHEMA, table):
                result.suites.append(
                    SuiteResult(mart_suite_name(table), table, failed=1, failures=["the mart does not exist"])
                )
                continue
            if table in daily:
                batches.append(
                    (mart_suite_name(table), table, _window_frame(con, table, start, end), parameters)
                )
            batches.append((COLUMNS_SUITE, table, _columns_frame(con, table), {}))
    with gx_project(all_suites(manifest), gx_project_root) as project:
        for suite, table, frame, suite_parameters in batches:
            result.suites.append(project.run(suite, table, frame, suite_parameters, data_docs))
        result.data_docs_index = project.data_docs_index if data_docs else None
    return result


# ----------------------------------------------------------------------------- raw sources


def default_state_path(gx_project_root: Path | None = None) -> Path:
    return Path(gx_project_root or DEFAULT_GX_PROJECT) / "gx" / "uncommitted" / "raw_load_state.json"


def _read_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)


def _profile_row(
    con: duckdb.DuckDBPyConnection,
    table: dbt_manifest.RawTable,
    now: dt.datetime,
    previous_count: int | None,
) -> dict[str, Any]:
    relation = f'"{safe_identifier(table.schema)}"."{safe_identifier(table.table)}"'
    present = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [table.schema, table.table],
        ).fetchall()
    }
    count, newest, future = con.execute(
        f"select count(*), max(_loaded_at), count(*) filter (where _loaded_at > ?) from {relation}",
        [now + dt.timedelta(hours=1)],
    ).fetchone()  # type: ignore[misc]
    return {
        "table_name": table.name,
        "row_count": int(count),
        "missing_columns": len(set(table.columns) - present),
        "newest_loaded_at": newest,
        "hours_since_last_load": ((now - newest).total_seconds() / 3600) if newest else None,
        "max_age_hours": table.max_age_hours,
        "future_rows": int(future),
        "row_count_ratio": (count / previous_count) if previous_count else None,
    }


def validate_raw(
    duckdb_path: Path | str,
    *,
    now: dt.datetime | None = None,
    state_path: Path | None = None,
    manifest: Mapping[str, Any] | None = None,
    update_state: bool = True,
    gx_project_root: Path | None = None,
    data_docs: bool = False,
) -> QualityResult:
    """The load profile of every raw source table: schema, freshness, future load times and
    volume against the previous validated load (kept in `state_path`, per warehouse file).
    Warns: the loader's data is outside our control and staging sets bad rows aside.

    `now` (UTC, naive) is the reference for freshness; default the project's clock."""
    now = now or config.now_naive()
    manifest = manifest if manifest is not None else dbt_manifest.load_manifest()
    state_path = state_path or default_state_path(gx_project_root)
    warehouse_key = str(Path(duckdb_path).resolve())
    state = _read_state(state_path)
    previous: dict[str, Any] = state.get(warehouse_key, {})
    result = QualityResult(scope="raw")
    rows: list[dict[str, Any]] = []
    with connect_read_only(duckdb_path) as con:
        for table in dbt_manifest.raw_tables(manifest):
            if not table_exists(con, table.schema, table.table) and table.optional:
                # An optional raw table the loader never landed: no rows, nothing to profile.
                absent = {"absent": "optional table not landed"}
                result.suites.append(SuiteResult(LOAD_PROFILE_SUITE, table.name, details=absent))
                continue
            if not table_exists(con, table.schema, table.table):
                result.suites.append(
                    SuiteResult(
                        LOAD_PROFILE_SUITE,
                        table.name,
                        failed=1,
                        failures=[f"{table.schema}.{table.table} does not exist"],
                    )
                )
                continue
            rows.append(_profile_row(con, table, now, previous.get(table.name, {}).get("row_count")))
    with gx_project(all_suites(manifest), gx_project_root) as project:
        for row in rows:
            frame = pd.DataFrame([row]).set_index("table_name")
            for column in ("hours_since_last_load", "max_age_hours", "row_count_ratio"):
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
            outcome = project.run(LOAD_PROFILE_SUITE, row["table_name"], frame, {}, data_docs)
            outcome.details = {k: v for k, v in row.items() if k != "newest_loaded_at"}
            result.suites.append(outcome)
        result.data_docs_index = project.data_docs_index if data_docs else None
    if update_state:
        state[warehouse_key] = {
            row["table_name"]: {
                "row_count": row["row_count"],
                "newest_loaded_at": row["newest_loaded_at"].isoformat() if row["newest_loaded_at"] else None,
                "validated_at": now.isoformat(),
            }
            for row in rows
        }
        _write_state(state_path, state)
    return result
