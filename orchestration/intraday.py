"""Intraday sensor: today's partial health within minutes of new raw data.

Each tick (every TICK_SECONDS) reads the raw sources' high-water marks, the newest
`_loaded_at` of every dbt source table, through a read-only DuckDB connection; only rows
newer than the marks already seen are read, so the read stays cheap on product.tracks.
When some table has rows newer than the marks of the last launched run and at least
HEALTH_INTRADAY_MIN_INTERVAL_MINUTES (default 15) passed on the project's clock since that
launch, it requests one run of health_intraday_job for today's partition (today by
HEALTH_NOW, else the real clock).

- Skips the tick, without consuming the new rows, while a run holds the warehouse pool,
  a writer holds the file, an intraday run is still queued or running, or the interval
  has not passed: the next tick tries again. So it does while the warehouse holds no
  scores yet: an intraday run rebuilds only what the landing feeds (no seeds), so the
  first build is the daily job's.
- The cursor holds the marks of the last launch and its time; run_key is the day and
  a digest of those marks, so the same landing is never requested twice.
- Without a cursor (a new instance) the marks are compared with what the warehouse has
  loaded: the newest `loaded_at` of each raw table's staging (base) model.
- The run request selects, of the job's models, those built from the tables that landed
  (dbt's graph, read from the manifest), every daily model (today's scores move with the
  clock even where no data arrived) and the models tagged `intraday`, with their checks,
  the publication and alert delivery. A model none of whose inputs changed would be
  rebuilt to the same rows: the upstream models read no clock (tests/test_intraday.py).
  After a failed or canceled intraday run, the next one rebuilds everything the job holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from customer_health import config
from customer_health.config import WAREHOUSE_POOL, Settings
from customer_health.manifest import raw_tables
from customer_health.safety import safe_identifier
from customer_health.warehouse import (
    SCORES,
    WarehouseBusyError,
    WarehouseMissingError,
    holds_scores,
    raw_high_water_marks,
)
from orchestration.dbt.translator import DAILY_TAG, HealthDbtTranslator
from orchestration.dbt.upgrade import schema_drift
from orchestration.jobs import INTRADAY_JOB_NAME, INTRADAY_TAG, TRIGGER_TAG, AssetJob
from orchestration.resources import HealthWarehouse
from orchestration.sensors import pool_busy

SENSOR_NAME = "health_intraday_sensor"
TICK_SECONDS = 30
LANDED_TABLES_TAG = "health/landed_tables"
HIGH_WATER_MARK_TAG = "health/high_water_mark"
IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


@dataclass(frozen=True)
class IntradayCursor:
    """The marks (table -> newest _loaded_at) of the last launch, and when it was launched."""

    marks: Mapping[str, dt.datetime]
    launched_at: dt.datetime | None = None

    @classmethod
    def parse(cls, text: str | None) -> IntradayCursor:
        if not text:
            return cls({})
        data = json.loads(text)
        launched = data.get("launched_at")
        return cls(
            {name: dt.datetime.fromisoformat(value) for name, value in data.get("marks", {}).items()},
            dt.datetime.fromisoformat(launched) if launched else None,
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "marks": {name: value.isoformat() for name, value in sorted(self.marks.items())},
                "launched_at": self.launched_at.isoformat() if self.launched_at else None,
            },
            sort_keys=True,
        )


def landed_since(marks: Mapping[str, dt.datetime], seen: Mapping[str, dt.datetime]) -> list[str]:
    """The tables whose newest row is newer than the mark seen at the last launch."""
    return sorted(name for name, mark in marks.items() if name not in seen or mark > seen[name])


def next_launch_at(launched_at: dt.datetime | None, min_interval: dt.timedelta) -> dt.datetime | None:
    return None if launched_at is None else launched_at + min_interval


def run_key(day: dt.date, marks: Mapping[str, dt.datetime]) -> str:
    digest = hashlib.sha256(IntradayCursor(marks).dump().encode()).hexdigest()[:12]
    return f"intraday-{day.isoformat()}-{digest}"


def raw_relations(manifest: Mapping[str, Any] | None = None) -> dict[str, str]:
    """source.table -> schema.table of every raw table the dbt project declares."""
    return {
        table.name: f"{safe_identifier(table.schema)}.{safe_identifier(table.table)}"
        for table in raw_tables(manifest)
    }


@dataclass(frozen=True)
class IntradayPlan:
    """Which of the intraday job's dbt assets a landing makes stale (from the dbt graph)."""

    always: frozenset[AssetKey]  # daily models and models tagged `intraday`
    built_from: Mapping[str, frozenset[AssetKey]]  # raw table -> job models downstream of it
    other: frozenset[AssetKey]  # publication and alert delivery

    def assets_for(self, landed: Iterable[str]) -> set[AssetKey]:
        keys = set(self.always | self.other)
        for table in landed:
            keys |= self.built_from.get(table, frozenset())
        return keys


def intraday_plan(
    manifest: Mapping[str, Any], selected_ids: Iterable[str], other: Iterable[AssetKey]
) -> IntradayPlan:
    """The plan for the dbt nodes `selected_ids` (the selector health_intraday)."""
    translator = HealthDbtTranslator()
    nodes = manifest["nodes"]
    models = {
        uid
        for uid in selected_ids
        if uid.split(".")[0] in ("model", "snapshot")
        and nodes[uid].get("config", {}).get("materialized") != "ephemeral"  # no asset of its own
    }
    always = {uid for uid in models if {DAILY_TAG, INTRADAY_TAG} & set(nodes[uid].get("tags", []))}
    built_from: dict[str, frozenset[AssetKey]] = {}
    for uid, source in manifest["sources"].items():
        reached: set[str] = set()
        frontier = [uid]
        while frontier:
            for child in manifest["child_map"].get(frontier.pop(), []):
                if child not in reached:
                    reached.add(child)
                    frontier.append(child)
        built_from[f"{source['source_name']}.{source['name']}"] = frozenset(
            translator.get_asset_key(nodes[child]) for child in reached & models
        )
    return IntradayPlan(
        always=frozenset(translator.get_asset_key(nodes[uid]) for uid in always),
        built_from=built_from,
        other=frozenset(other),
    )


def staged_relations(manifest: Mapping[str, Any]) -> dict[str, str]:
    """source.table -> schema.name of the staging model that loads it (the one model that
    reads the source, with its `loaded_at`): what the warehouse has loaded so far."""
    nodes = manifest["nodes"]
    staged = {}
    for uid, source in manifest["sources"].items():
        for child in manifest["child_map"].get(uid, []):
            node = nodes.get(child, {})
            if node.get("resource_type") == "model" and "loaded_at" in node.get("columns", {}):
                schema = node.get("config", {}).get("schema") or node["schema"]
                name = f"{source['source_name']}.{source['name']}"
                staged[name] = f"{safe_identifier(schema)}.{safe_identifier(node['name'])}"
    return staged


def _job_checks(context: SensorEvaluationContext, keys: set[AssetKey]) -> list[AssetCheckKey]:
    """The intraday job's checks on `keys` (the job leaves out the whole-history tests)."""
    if context.repository_def is None:
        raise ValueError("the intraday sensor needs its repository (the job's checks)")
    job = context.repository_def.get_job(INTRADAY_JOB_NAME)
    return sorted(
        (check for check in job.asset_layer.asset_graph.asset_check_keys if check.asset_key in keys),
        key=lambda check: check.to_user_string(),
    )


def _in_flight(context: SensorEvaluationContext) -> bool:
    runs = context.instance.get_runs(
        filters=RunsFilter(job_name=INTRADAY_JOB_NAME, statuses=IN_FLIGHT), limit=1
    )
    return bool(runs)


def _last_run_failed(context: SensorEvaluationContext) -> bool:
    """The latest intraday run failed or was canceled: what it should have loaded may not be
    loaded, so the next run rebuilds everything the job holds, not only the new landing."""
    runs = context.instance.get_runs(filters=RunsFilter(job_name=INTRADAY_JOB_NAME), limit=1)
    return bool(runs) and runs[0].status in (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def build_intraday_sensor(
    job: AssetJob, settings: Settings, manifest: Mapping[str, Any], plan: IntradayPlan
) -> SensorDefinition:
    relations = raw_relations(manifest)
    loaded = staged_relations(manifest)
    min_interval = dt.timedelta(minutes=settings.intraday_min_interval_minutes)

    @sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Requests a run of health_intraday_job (today's partial health, alerts, publication) "
            "when new rows landed in a raw source, at most every "
            f"{settings.intraday_min_interval_minutes} minutes (HEALTH_INTRADAY_MIN_INTERVAL_MINUTES)."
        ),
    )
    def health_intraday_sensor(
        context: SensorEvaluationContext, warehouse: HealthWarehouse
    ) -> RunRequest | SkipReason:
        cursor = IntradayCursor.parse(context.cursor)
        if pool_busy(context):
            return SkipReason(f"a run holds the {WAREHOUSE_POOL} pool; not opening the warehouse this tick")
        try:
            marks = raw_high_water_marks(warehouse.path, relations, since=cursor.marks)
            seen = (
                cursor.marks
                if context.cursor
                else raw_high_water_marks(warehouse.path, loaded, column="loaded_at")
            )
        except WarehouseBusyError as error:
            return SkipReason(f"warehouse locked by a writer, will retry next tick ({error})")
        except WarehouseMissingError as error:
            return SkipReason(f"no warehouse yet: {error}")
        except duckdb.Error as error:  # never crash the tick: say why and try again
            return SkipReason(f"cannot read the raw high-water marks in {warehouse.path}: {error}")

        landed = landed_since(marks, seen)
        if not landed:
            if not context.cursor:  # from now on, the cheap read from the marks seen
                context.update_cursor(IntradayCursor(marks).dump())
            return SkipReason("no rows landed since the last intraday run")
        now = config.now_naive()
        allowed_at = next_launch_at(cursor.launched_at, min_interval)
        if allowed_at is not None and now < allowed_at:
            return SkipReason(
                f"new rows in {', '.join(landed)}; the next intraday run is allowed at "
                f"{allowed_at:%Y-%m-%d %H:%M} (HEALTH_INTRADAY_MIN_INTERVAL_MINUTES="
                f"{settings.intraday_min_interval_minutes})"
            )
        if _in_flight(context):
            return SkipReason(f"new rows in {', '.join(landed)}; an intraday run is still queued or running")

        try:
            built = holds_scores(warehouse.path)
            drifts = schema_drift(warehouse.path, manifest) if built else None
        except (WarehouseBusyError, WarehouseMissingError) as error:
            return SkipReason(f"new rows in {', '.join(landed)}; warehouse not readable now ({error})")
        if not built:  # the intraday run rebuilds only what the landing feeds: no seeds
            return SkipReason(
                f"new rows in {', '.join(landed)}; the warehouse holds no scores yet "
                f"(no {SCORES}): the daily job builds it first"
            )
        if drifts:  # the run would stop before dbt (orchestration/dbt/upgrade.py)
            return SkipReason(
                f"new rows in {', '.join(landed)}; the warehouse holds tables an earlier version of "
                f"the project built ({drifts.describe()}): the daily job reloads seeds; models need the "
                "recalculation its failure names"
            )

        today = config.today()
        newest = max(marks[name] for name in landed)
        context.log.info(f"new rows in {', '.join(landed)} (newest {newest}): intraday run for {today}")
        assets = plan.assets_for(plan.built_from if _last_run_failed(context) else landed)
        context.update_cursor(IntradayCursor(marks, now).dump())
        return RunRequest(
            run_key=run_key(today, marks),
            partition_key=today.isoformat(),
            asset_selection=sorted(assets, key=lambda key: key.to_user_string()),
            asset_check_keys=_job_checks(context, assets),
            tags={
                TRIGGER_TAG: "intraday",
                LANDED_TABLES_TAG: ",".join(landed)[:250],
                HIGH_WATER_MARK_TAG: newest.isoformat(),
            },
        )

    return health_intraday_sensor
