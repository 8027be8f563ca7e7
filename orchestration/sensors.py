"""Definition-change sensor: recompute history when the health definition seeds change.

Each tick compares the definition_version of the seeds as they are now (computed from the
CSV files, customer_health.definitions.definition_version) with the versions stamped on the
last HEALTH_RECALCULATION_DAYS scored days of fct_account_health_daily. When any of those
days carries another version, it requests ONE run over that window: of
health_rescore_job when only the scoring definition changed and the stored indicator values
can be rescored, of health_recalculation_job otherwise (orchestration/dbt/paths.py), over that
window (a partition range: one dbt invocation), tagged with the version it recomputes.

- Once per change: the cursor is the version last requested; run_key is unique per version
  too, so even a reset cursor cannot launch the same recalculation twice.
- The window ends on the latest scored day (capped at the last complete partition) and
  spans HEALTH_RECALCULATION_DAYS days (capped at the first partition).
- The warehouse is read through a read-only DuckDB connection. When a run holds the
  warehouse pool, or the file is locked by any writer, the tick is skipped with a message
  (the next tick tries again); it never crashes and never blocks a writer for long.
- Checking the last N days, not only the latest one, also catches a change that a daily run
  stamped on its own day before the sensor saw it.
"""

import datetime as dt

import duckdb
from dagster import (
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from customer_health.config import WAREHOUSE_POOL, Settings
from customer_health.definitions import definition_version
from customer_health.manifest import load_manifest
from customer_health.safety import parse_window
from customer_health.warehouse import (
    WarehouseBusyError,
    WarehouseMissingError,
    stamped_versions,
)
from orchestration.dbt.paths import RunPath, choose_path
from orchestration.jobs import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    RECALCULATION_JOB_NAME,
    RESCORE_JOB_NAME,
    AssetJob,
)
from orchestration.resources import HealthWarehouse

DEFINITION_VERSION_TAG = "health/definition_version"
PREVIOUS_VERSION_TAG = "health/previous_definition_version"
TRIGGER_TAG = "health/trigger"
SENSOR_NAME = "health_definition_change_sensor"


def recalculation_window(
    latest_scored_day: dt.date, days: int, first_partition: str, last_partition: str | None
) -> tuple[str, str]:
    end = latest_scored_day
    if last_partition is not None:
        end = min(end, dt.date.fromisoformat(last_partition))
    start = max(end - dt.timedelta(days=days - 1), dt.date.fromisoformat(first_partition))
    return start.isoformat(), end.isoformat()


def recalculation_tags(start: str, end: str, version: str, previous: str, days: int) -> dict[str, str]:
    return {
        ASSET_PARTITION_RANGE_START_TAG: start,
        ASSET_PARTITION_RANGE_END_TAG: end,
        DEFINITION_VERSION_TAG: version,
        PREVIOUS_VERSION_TAG: previous,
        TRIGGER_TAG: "definition_change",
        "health/recalculation_days": str(days),
    }


def pool_busy(context: SensorEvaluationContext) -> bool:
    storage = context.instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return False
    return storage.get_concurrency_info(WAREHOUSE_POOL).active_slot_count > 0


def build_definition_change_sensor(
    jobs: list[AssetJob],
    partitions_def: DailyPartitionsDefinition,
    settings: Settings,
) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        jobs=jobs,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Requests one recalculation run over the last "
            f"{settings.recalculation_days} days when the health definition seeds change."
        ),
    )
    def health_definition_change_sensor(
        context: SensorEvaluationContext, warehouse: HealthWarehouse
    ) -> RunRequest | SkipReason:
        try:
            current = definition_version(warehouse.seeds)
        except (OSError, ValueError) as error:
            return SkipReason(f"cannot compute the definition_version of {warehouse.seeds}: {error}")
        if pool_busy(context):
            return SkipReason(f"a run holds the {WAREHOUSE_POOL} pool; not opening the warehouse this tick")
        try:
            stamped = stamped_versions(warehouse.path, settings.recalculation_days)
        except WarehouseBusyError as error:
            return SkipReason(f"warehouse locked by a writer, will retry next tick ({error})")
        except WarehouseMissingError as error:
            return SkipReason(f"nothing to compare with yet: {error}")
        except duckdb.Error as error:  # never crash the tick: say why and try again
            return SkipReason(f"cannot read the warehouse {warehouse.path}: {error}")

        stale_days = stamped.stale_days(current)
        if stale_days == 0:
            context.update_cursor(current)
            return SkipReason(
                f"definition_version {current} is stamped on all of the last "
                f"{settings.recalculation_days} scored days (latest {stamped.latest_day})"
            )
        if context.cursor == current:
            return SkipReason(
                f"recalculation for definition_version {current} was already requested "
                f"(run key definition-{current}); {stale_days} recent day(s) still carry another "
                "version: check that run, re-execute it or launch health_recalculation_job by hand"
            )

        start, end = recalculation_window(
            stamped.latest_day,
            settings.recalculation_days,
            settings.partitions_start,
            partitions_def.get_last_partition_key(),
        )
        previous = (
            stamped.latest_version
            if stamped.latest_version != current
            else ",".join(
                span.definition_version for span in stamped.spans if span.definition_version != current
            )
        )
        try:
            choice = choose_path(
                warehouse.path,
                *parse_window(start, end),
                warehouse.seeds,
                load_manifest(settings.manifest_path),
            )
        except (WarehouseBusyError, duckdb.Error) as error:
            return SkipReason(f"cannot read the warehouse {warehouse.path} now: {error}")
        job_name = RESCORE_JOB_NAME if choice.path is RunPath.RESCORE else RECALCULATION_JOB_NAME
        context.log.info(
            f"definition_version changed {previous} -> {current}: {job_name} over {start}..{end} "
            f"({choice.reason})"
        )
        context.update_cursor(current)
        return RunRequest(
            run_key=f"definition-{current}",
            job_name=job_name,
            tags=recalculation_tags(start, end, current, previous, settings.recalculation_days),
        )

    return health_definition_change_sensor
