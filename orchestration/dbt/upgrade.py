"""Tables an earlier version of the project built with other columns, and their rebuild.

dbt keeps an incremental model's table between runs, and the models say
`on_schema_change='fail'`: after an upgrade that adds a column to one of them, or stops
building one, dbt fails the model on the next run and suggests a full refresh. Here a full
refresh would not mend it: a daily model built without its table holds the run's window only,
and every day before it would be lost.

So the dbt op compares, before dbt starts, the columns of every incremental model's table
with the columns the project documents for it (read from the manifest; tests/test_upgrade.py
checks that the documented columns are the ones every model builds). A difference fails
every job but the recalculation, and the message gives the command that mends it: the
recalculation of the days the warehouse has scores for (`make recalculate START=... END=...`).
That run takes the full path (paths.choose_path), drops the tables first and lets dbt build
them again over its window as a first build over those days would: the days before them that
an intermediate model holds for its look-back (the 30 compared days, 90 days of activity) are
the ones a build over the window computes. So no day is lost. A recalculation whose window
does not cover the scored days fails before it drops anything, and says which window would.
The drop records the tables in PENDING, in the same transaction, and the op clears it after
dbt succeeded: a rebuild that did not finish (killed, or a failing model) leaves the dropped
tables absent, and they count as drifted until a recalculation rebuilds them, instead of
the next daily run creating them with its own day only.

Seeds are reloaded whole by every run that loads them (`+full_refresh: true` in
dbt_project.yml recreates the table), so a seed with other columns mends itself, except in
an intraday run, which loads none and reads the seeds as the last daily run left them: it
fails and asks for the daily run.

A daily model without a table (new in this version, or not reached by an interrupted build)
is not stopped for: a run creates it with its own days, and the op warns, with the
recalculation of the scored days that fills its history.

The comparison reads column names, not types: a column whose type changed is dbt's to report.
docs/decisions/0021-upgrading-a-warehouse.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from customer_health.manifest import kept_tables
from customer_health.warehouse import SCORES, read_only_connection, relation_columns

Days = tuple[dt.date, dt.date]  # a first and a last day, inclusive
PENDING = "main.health_pending_rebuild"  # the tables a rebuild dropped, until it succeeds


@dataclass(frozen=True)
class Drift:
    """A kept table whose columns differ from those the project builds."""

    relation: str
    resource_type: str  # "model" (incremental) or "seed"
    added: tuple[str, ...]  # built by the project, not in the table
    removed: tuple[str, ...]  # in the table, no longer built
    daily: bool  # it holds days (config event_time): its rebuild must cover the scored days
    dropped: bool = False  # dropped by a rebuild that did not finish: absent

    def describe(self) -> str:
        if self.dropped:
            return f"{self.relation} (dropped by a rebuild that did not finish)"
        parts = ([f"new column(s) {', '.join(self.added)}"] if self.added else []) + (
            [f"column(s) {', '.join(self.removed)} no longer built"] if self.removed else []
        )
        return f"{self.relation} ({'; '.join(parts)})"


@dataclass(frozen=True)
class Drifts:
    """The drifted tables of a warehouse, and the days it has scores for."""

    tables: tuple[Drift, ...]
    scored: Days | None  # the first and last day of SCORES (None: no scores yet)
    # Daily models without a table (not dropped by a rebuild): new in this version, or not
    # reached by a killed build. A run creates them with its own days only.
    unbuilt: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tables)

    def models(self) -> Drifts:
        """The incremental models among them: what only a recalculation mends."""
        return Drifts(
            tuple(drift for drift in self.tables if drift.resource_type == "model"), self.scored, self.unbuilt
        )

    def describe(self) -> str:
        return ", ".join(drift.describe() for drift in self.tables)

    @property
    def days(self) -> Days | None:
        """The days a recalculation must cover to rebuild the tables (None: any window does:
        none holds days, or there are no scores yet)."""
        return self.scored if any(drift.daily for drift in self.tables) else None

    def uncovered(self, window: Days | None) -> Days | None:
        """The days a recalculation over `window` must cover and does not (None: it covers them)."""
        days = self.days
        return None if days is None or covers(window, days) else days


def covers(window: Days | None, days: Days) -> bool:
    return window is not None and window[0] <= days[0] and days[1] <= window[1]


def schema_drift(warehouse: Path, manifest: Mapping[str, Any]) -> Drifts:
    """The kept tables whose columns differ from the project's. Raises WarehouseBusyError /
    WarehouseMissingError when the file cannot be read now."""
    with read_only_connection(warehouse) as connection:
        return drifted(connection, manifest)


def drifted(connection: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any]) -> Drifts:
    """schema_drift on an open connection."""
    present = relation_columns(connection)
    tables, scored = [], None
    if PENDING in present:
        tables += [
            Drift(relation, "model", (), (), daily, dropped=True)
            for relation, daily in connection.execute(
                f"select relation, daily from {PENDING} order by 1"
            ).fetchall()
            if relation.lower() not in present
        ]
    unbuilt = []
    for table in kept_tables(manifest):
        held_columns = present.get(table.relation.lower())
        if held_columns is None:  # not built yet: dbt creates it
            if table.resource_type == "model" and table.event_time:
                unbuilt.append(table.relation)
            continue
        if table.relation == SCORES and table.event_time and table.event_time.lower() in held_columns:
            first, last = connection.execute(
                f"select min({table.event_time}), max({table.event_time}) from {SCORES}"
            ).fetchone()
            scored = (first, last) if first is not None else None
        built = {column.lower() for column in table.columns}
        if held_columns != built:
            tables.append(
                Drift(
                    relation=table.relation,
                    resource_type=table.resource_type,
                    added=tuple(sorted(built - held_columns)),
                    removed=tuple(sorted(held_columns - built)),
                    daily=table.event_time is not None,
                )
            )
    dropped = {drift.relation for drift in tables}
    return Drifts(tuple(tables), scored, tuple(relation for relation in unbuilt if relation not in dropped))


def recalculate_command(days: Days) -> str:
    return f"make recalculate START={days[0].isoformat()} END={days[1].isoformat()}"


def drift_message(warehouse: Path, drifts: Drifts, default: dt.date) -> str:
    """Why a run other than the recalculation cannot go on, and the command that mends it
    (over `default` when the tables hold no days: any window rebuilds them)."""
    return (
        f"the warehouse {warehouse} holds tables an earlier version of the project built, with "
        f"other columns: {drifts.describe()}. dbt would fail on them (on_schema_change='fail'), "
        "and a full refresh would keep only a run's window. Recalculate the days it has scores "
        f"for, which rebuilds them: {recalculate_command(drifts.days or (default, default))}"
    )


def unbuilt_warning(drifts: Drifts, window: Days | None) -> str | None:
    """What a run over `window` should say about daily models without a table, when the
    warehouse has scores: it creates them with its own days only (None: nothing to say)."""
    scored = drifts.scored
    if not drifts.unbuilt or scored is None or covers(window, scored):
        return None
    return (
        f"daily model(s) without a table: {', '.join(drifts.unbuilt)} (new in this version of the "
        "project, or not reached by an interrupted build): a run creates them with its own days "
        f"only; to fill the days the warehouse has scores for: {recalculate_command(scored)}"
    )


def drop_tables(warehouse: Path, drifts: Drifts) -> None:
    """Drop the drifted tables and record them in PENDING, in one transaction: dbt then
    builds each as on a first run."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("begin")
        connection.execute(f"create or replace table {PENDING} (relation varchar, daily boolean)")
        for drift in drifts.tables:
            schema, table = drift.relation.split(".", 1)
            connection.execute(f"insert into {PENDING} values (?, ?)", [drift.relation, drift.daily])
            connection.execute(f'drop table if exists "{schema}"."{table}"')
        connection.execute("commit")


def rebuild_done(warehouse: Path) -> None:
    """The rebuild's dbt invocation succeeded: every dropped table is built again."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"drop table if exists {PENDING}")
