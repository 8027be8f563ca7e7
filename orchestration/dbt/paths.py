"""Which path a run over a window takes: a full build, or rescoring stored indicator values.

The definition has two parts (seed YAML meta `health_definition`): `indicators` (what the
daily indicator values depend on) and `scoring` (how values become scores, bands and
roll-ups). Indicator values are stored per day with the indicator version they were
computed with (int_indicator_values_daily.indicators_definition_version). When only the
scoring part changed for a window, nothing that reads event history needs to run: the
dbt models tagged `event_history` are left out and the stored values are rescored: the job
`health_rescore_job` runs the dbt selector `health_rescore` (the scoring seeds and what is
built from them, less that tag; Dagster plans the run without the rest), where
`health_recalculation_job` runs everything.

    rescore  the window's scores carry another definition_version than the seeds, and every
             day of the scoring span (the window and the score_change_days before it) has
             indicator values of the current indicator version, and no other;
    full     anything else: a new day, changed indicator definitions, missing values, or
             nothing changed at all (a plain re-run reads late-arriving events again).

HEALTH_RECALCULATION_PATH=full forces the full path (e.g. to take in late-arriving events
of a window whose definition also changed); the default `auto` chooses as above.

docs/decisions/0004-rescoring-path.md has the measurements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from customer_health.config import env_text
from customer_health.definitions import definition_version
from customer_health.warehouse import WarehouseMissingError, read_only_connection
from orchestration.dbt.upgrade import drifted

EVENT_HISTORY_TAG = "event_history"
PATH_TAG = "health/recalculation_path"


class RunPath(StrEnum):
    FULL = "full"
    RESCORE = "rescore"


@dataclass(frozen=True)
class PathChoice:
    path: RunPath
    reason: str


def choose_path(
    warehouse: Path,
    start: dt.date,
    end: dt.date,
    seeds_dir: Path,
    manifest: Mapping[str, Any],
    score_change_days: int = 30,
) -> PathChoice:
    """The path for the window start..end (inclusive) on this warehouse and these seeds."""
    if env_text("HEALTH_RECALCULATION_PATH", "auto") == RunPath.FULL:
        return PathChoice(RunPath.FULL, "HEALTH_RECALCULATION_PATH=full")
    current = definition_version(seeds_dir, manifest=manifest)
    indicators = definition_version(seeds_dir, part="indicators", manifest=manifest)
    span_start = start - dt.timedelta(days=score_change_days)
    try:
        with read_only_connection(warehouse) as connection:
            drifts = drifted(connection, manifest).models()
            if drifts:
                reason = f"tables an earlier version of the project built, to rebuild: {drifts.describe()}"
                return PathChoice(RunPath.FULL, reason)
            changed_days = connection.execute(
                "select count(distinct as_of_date) from marts.fct_account_health_daily "
                "where as_of_date between ? and ? and definition_version <> ?",
                [start, end, current],
            ).fetchone()[0]
            days, current_days, other_versions = connection.execute(
                "select count(distinct as_of_date), "
                "count(distinct case when indicators_definition_version = ? then as_of_date end), "
                "count(*) filter (where indicators_definition_version <> ?) "
                "from intermediate.int_indicator_values_daily where as_of_date between ? and ?",
                [indicators, indicators, span_start, end],
            ).fetchone()
    except (WarehouseMissingError, duckdb.CatalogException, duckdb.BinderException) as error:
        return PathChoice(RunPath.FULL, f"no stored scores or indicator values to reuse ({error})")
    span_days = (end - span_start).days + 1
    if not changed_days:
        return PathChoice(RunPath.FULL, "the definition did not change for this window: full build")
    if days == span_days and current_days == span_days and not other_versions:
        return PathChoice(
            RunPath.RESCORE,
            f"only the scoring definition changed: rescoring the stored indicator values of "
            f"{span_start}..{end} (indicator version {indicators[:8]})",
        )
    return PathChoice(
        RunPath.FULL,
        f"indicator values to compute: {span_days - current_days} of {span_days} days of "
        f"{span_start}..{end} lack values of indicator version {indicators[:8]}",
    )


@dataclass(frozen=True)
class SpanChoice:
    """Whether a daily run recomputes the whole scoring span (dbt var
    recompute_scoring_span), and why."""

    recompute: bool
    reason: str


def stored_measure_models(manifest: Mapping[str, Any]) -> list[str]:
    """schema.table of the daily models that compute measures from event history per
    as_of_date (tags `daily` and `event_history`, event_time as_of_date): with
    recompute_scoring_span false they write the window's days only, and the scoring models
    read their stored rows of the compared days as they are."""
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and {"daily", EVENT_HISTORY_TAG} <= set(node["tags"])
        and node["config"].get("event_time") == "as_of_date"
    )


def choose_scoring_span(
    warehouse: Path,
    start: dt.date,
    end: dt.date,
    seeds_dir: Path,
    manifest: Mapping[str, Any],
    score_change_days: int = 30,
) -> SpanChoice:
    """The scoring span of a daily run over start..end (inclusive).

    A one-day run compares its day with the day score_change_days before it. When that day
    is stored as the nightly run left it (final, not an intraday run's partial day; its
    measures in every model that computes them from events; its indicator values of the
    current indicator version), the run reads it as it is and rewrites its day and that
    compared day only (recompute_scoring_span false, as intraday runs do), not the days
    between; else it recomputes the whole span from events. HEALTH_DAILY_SCORING_SPAN=full
    forces the whole span (docs/decisions/0012-the-nightly-run-reads-the-compared-day.md)."""
    if env_text("HEALTH_DAILY_SCORING_SPAN", "auto") == "full":
        return SpanChoice(True, "HEALTH_DAILY_SCORING_SPAN=full")
    if start != end:
        return SpanChoice(True, f"a window of {(end - start).days + 1} days recomputes its scoring span")
    compared = start - dt.timedelta(days=score_change_days)
    indicators = definition_version(seeds_dir, part="indicators", manifest=manifest)
    try:
        with read_only_connection(warehouse) as connection:
            missing = [
                table
                for table in stored_measure_models(manifest)
                if not connection.execute(
                    f"select count(*) > 0 from {table} where as_of_date = ?", [compared]
                ).fetchone()[0]
            ]
            final, other_versions = connection.execute(
                "select count(*) > 0 and not bool_or(is_partial_day), "
                "(select count(*) from intermediate.int_indicator_values_daily "
                "where as_of_date = ? and indicators_definition_version <> ?) "
                "from marts.fct_account_health_daily where as_of_date = ?",
                [compared, indicators, compared],
            ).fetchone()
    except (WarehouseMissingError, duckdb.CatalogException, duckdb.BinderException) as error:
        return SpanChoice(True, f"no stored rows of the compared day {compared} ({error})")
    if missing:
        return SpanChoice(True, f"the compared day {compared} has no stored rows in {', '.join(missing)}")
    if not final:
        return SpanChoice(True, f"the compared day {compared} is not a final day of fct_account_health_daily")
    if other_versions:
        return SpanChoice(
            True, f"the compared day {compared} has indicator values of another indicator version"
        )
    return SpanChoice(False, f"the compared day {compared} is stored: reading it, not recomputing the span")
