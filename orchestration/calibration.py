"""Calibration in Dagster: a manual job and a monthly schedule (off by default).

`health_calibration_job` runs `customer_health.calibrate` on the warehouse (read-only, in the
warehouse pool so that no dbt run writes meanwhile): it learns from the outcomes final by
`train_until` (default: the last scored day minus `holdout_days`), judges the candidate on
the outcomes after it, writes the candidate and its report under
$HEALTH_SERVING_DIR/calibration/<time>/ (LATEST points at it; the dashboard's "Definition
quality" page reads it) and attaches the report to the run as metadata. Nothing is adopted:
adopting the candidate is a reviewed change of seeds/definitions (docs/calibration.md), after
which the definition-change sensor recalculates history.

A refusal (too little history) is not a failure: the run succeeds, the report says what is
missing, and the metadata carry `status: refused`.
"""

import datetime as dt
from typing import Any

import duckdb
from dagster import (
    Config,
    DefaultScheduleStatus,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    Output,
    ScheduleDefinition,
    job,
    op,
)

from customer_health import config as health_config
from customer_health.config import WAREHOUSE_POOL, Settings
from orchestration.resources import HealthWarehouse

CALIBRATION_JOB_NAME = "health_calibration_job"
CALIBRATION_SCHEDULE_NAME = "health_calibration_schedule"
#: The 1st of every month, after the daily run (it must be switched on in the UI).
CALIBRATION_CRON = "0 5 1 * *"


class CalibrationConfig(Config):
    horizon_days: int = 90
    holdout_days: int = 180
    train_until: str = ""  # ISO day; empty: the last scored day minus holdout_days


def _last_scored_day(path: Any) -> dt.date | None:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute("select max(as_of_date) from marts.fct_account_health_daily").fetchone()[0]
    except duckdb.Error:
        return None


def _metadata(report: dict[str, Any], markdown: str, run_dir: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "status": report["status"],
        "message": report["message"],
        "output_dir": MetadataValue.path(str(run_dir)),
        "report": MetadataValue.md(markdown),
        "report_json": MetadataValue.json(report),
    }
    if report["status"] == "ok":
        horizon = report["settings"]["horizon_days"]
        main = next(row for row in report["held_out_evaluation"]["auc"] if row["horizon_days"] == horizon)
        metadata.update({
            "current_auc": main["current_auc"],
            "candidate_auc": main["candidate_auc"],
            "held_out_churned": main["churned"],
            "held_out_retained": main["retained"],
            "recommendation": report["recommendation"]["text"],
            "candidate_definition_version": report.get("definition_versions", {}).get("candidate", ""),
        })  # fmt: skip
    return metadata


@op(
    pool=WAREHOUSE_POOL,
    description="Calibrate the health definition on the warehouse and publish the report.",
)
def calibrate_definition(
    context: OpExecutionContext, config: CalibrationConfig, warehouse: HealthWarehouse
) -> Output[str]:
    last_day = _last_scored_day(warehouse.path)
    if config.train_until:
        train_until = dt.date.fromisoformat(config.train_until)
    elif last_day is not None:
        train_until = last_day - dt.timedelta(days=config.holdout_days)
    else:
        train_until = health_config.today() - dt.timedelta(days=config.holdout_days)
    # Imported here: calibration needs numpy, pandas and scipy (about 1 s to import), which
    # no other job's process should pay for.
    from customer_health.calibrate import run as calibrate
    from customer_health.calibrate.store import mark_latest, new_run_dir

    run_dir = new_run_dir(warehouse.serving, health_config.now())
    code, report = calibrate(
        duckdb_path=warehouse.path,
        horizon_days=config.horizon_days,
        train_until=train_until,
        output_dir=run_dir,
        seeds_dir=warehouse.seeds,
    )
    mark_latest(run_dir)
    markdown = (run_dir / "report.md").read_text(encoding="utf-8")
    if code:
        context.log.warning(f"calibration refused: {report['message']}")
    else:
        context.log.info(report["message"])
    return Output(str(run_dir), metadata=_metadata(report, markdown, run_dir))


def build_calibration_job() -> JobDefinition:
    @job(
        name=CALIBRATION_JOB_NAME,
        description=(
            "Fit a candidate health definition on past outcomes, judge it on held-out history "
            "and attach the report (docs/calibration.md). Manual, or monthly by its schedule."
        ),
        tags={"health/trigger": "calibration"},
    )
    def health_calibration_job() -> None:
        calibrate_definition()

    return health_calibration_job


def build_calibration_schedule(calibration_job: JobDefinition, settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name=CALIBRATION_SCHEDULE_NAME,
        job=calibration_job,
        cron_schedule=CALIBRATION_CRON,
        execution_timezone=settings.schedule_timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Monthly calibration report (off by default: switch it on in the UI).",
    )
