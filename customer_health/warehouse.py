"""Access to the DuckDB warehouse from Python: read-only connections, existence checks.

DuckDB lets one process write a database file; while it does, other processes cannot open
the file at all, not even read-only. Readers here open read-only, hold the connection for a
single query, and turn "file is locked" into WarehouseBusyError so that callers can skip a
sensor tick or wait, instead of crashing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file (a dbt run is writing)."""


class WarehouseMissingError(RuntimeError):
    """The warehouse file or the relation asked for does not exist (yet)."""


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """A table or view `schema.table` exists in the connection's database."""
    row = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


SCORES = "marts.fct_account_health_daily"


def holds_scores(path: Path) -> bool:
    """The warehouse holds the daily job's scores (SCORES): a daily run built it, seeds
    included. Raises WarehouseBusyError / WarehouseMissingError when it cannot be read now."""
    schema, table = SCORES.split(".")
    with read_only_connection(path) as connection:
        return table_exists(connection, schema, table)


def relation_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Every relation of the database ("schema.table", lower case) -> its columns (lower
    case: DuckDB compares names case-insensitively)."""
    present: dict[str, set[str]] = {}
    for schema, table, column in connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
    ).fetchall():
        present.setdefault(f"{schema}.{table}".lower(), set()).add(column.lower())
    return present


def missing_raw(path: Path, required: Mapping[str, Iterable[str]]) -> tuple[list[str], list[str]]:
    """Of `required` (relation "schema.table" -> its columns), what the warehouse lacks: the
    missing relations, and the missing columns ("schema.table.column") of the others (names
    compared case-insensitively, as DuckDB does). Raises WarehouseBusyError /
    WarehouseMissingError when it cannot be read now."""
    with read_only_connection(path) as connection:
        present = relation_columns(connection)
    relations = sorted(relation for relation in required if relation.lower() not in present)
    columns = [
        f"{relation}.{column}"
        for relation, names in sorted(required.items())
        if relation not in relations
        for column in names
        if column.lower() not in present[relation.lower()]
    ]
    return relations, columns


def connect_read_only(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection; FileNotFoundError when the file does not exist."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse file not found: {path}")
    return duckdb.connect(str(path), read_only=True)


@contextlib.contextmanager
def read_only_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise WarehouseMissingError(f"warehouse file {path} does not exist")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if _is_lock_error(error):
            raise WarehouseBusyError(f"warehouse {path} is locked by a writer: {error}") from error
        raise
    try:
        yield connection
    finally:
        connection.close()


def with_lock_retries(
    read: Callable[[duckdb.DuckDBPyConnection], T],
    path: Path,
    attempts: int = 10,
    wait_seconds: float = 3.0,
) -> T:
    """Run `read(connection)` on a read-only connection, waiting while a writer holds the file."""
    for attempt in range(1, attempts + 1):
        try:
            with read_only_connection(path) as connection:
                return read(connection)
        except WarehouseBusyError:
            if attempt == attempts:
                raise
            time.sleep(wait_seconds)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class VersionSpan:
    definition_version: str
    first_day: dt.date
    last_day: dt.date
    days: int


@dataclass(frozen=True)
class StampedVersions:
    """definition_versions stamped on fct_account_health_daily over its latest `days` days."""

    latest_day: dt.date
    latest_version: str
    spans: tuple[VersionSpan, ...]

    def stale_days(self, current_version: str) -> int:
        return sum(span.days for span in self.spans if span.definition_version != current_version)


def stamped_versions(path: Path, days: int) -> StampedVersions:
    """The versions on the last `days` scored days (latest day first in importance).

    Raises WarehouseBusyError / WarehouseMissingError when it cannot be read now.
    """
    with read_only_connection(path) as connection:
        try:
            rows = connection.execute(
                """
                with latest as (
                    select max(as_of_date) as last_day from marts.fct_account_health_daily
                ),

                recent as (
                    select
                        scores.as_of_date,
                        scores.definition_version,
                        scores.as_of_date = latest.last_day as is_latest_day
                    from marts.fct_account_health_daily as scores
                    cross join latest
                    where scores.as_of_date > latest.last_day - cast(? as integer)
                )

                select
                    definition_version,
                    min(as_of_date) as first_day,
                    max(as_of_date) as last_day,
                    count(distinct as_of_date) as days,
                    count(case when is_latest_day then 1 end) as latest_day_rows
                from recent
                group by definition_version
                order by latest_day_rows desc, last_day desc, definition_version
                """,
                [days],
            ).fetchall()
        except duckdb.CatalogException as error:
            raise WarehouseMissingError(f"no scores in {path} yet: {error}") from error
    if not rows:
        raise WarehouseMissingError(f"marts.fct_account_health_daily in {path} is empty")
    spans = tuple(VersionSpan(row[0], row[1], row[2], int(row[3])) for row in rows)
    return StampedVersions(
        latest_day=max(span.last_day for span in spans),
        latest_version=rows[0][0],
        spans=spans,
    )


def raw_high_water_marks(
    path: Path,
    tables: Mapping[str, str],
    since: Mapping[str, dt.datetime] | None = None,
    column: str = "_loaded_at",
) -> dict[str, dt.datetime]:
    """The newest `column` (load time) of each table: name -> "schema.table" relation.

    With `since` (the marks seen before), only rows loaded after a table's previous mark are
    read: the loader appends, so DuckDB's zone maps skip every older row group and the read
    stays cheap on the largest tables. A table without newer rows keeps its previous mark;
    a table that does not exist (an optional source) is left out.
    Raises WarehouseBusyError / WarehouseMissingError when it cannot be read now."""
    since = since or {}
    marks: dict[str, dt.datetime] = {}
    with read_only_connection(path) as connection:
        existing = {
            f"{schema}.{table}"
            for schema, table in connection.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for name, relation in sorted(tables.items()):
            if relation not in existing:
                continue
            previous = since.get(name)
            if previous is None:
                row = connection.execute(f"select max({column}) from {relation}").fetchone()
            else:
                row = connection.execute(
                    f"select max({column}) from {relation} where {column} > ?", [previous]
                ).fetchone()
            newest = row[0] if row else None
            if newest is not None:
                marks[name] = newest
            elif previous is not None:
                marks[name] = previous
    return marks
