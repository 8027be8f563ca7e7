"""The Dagster calibration job: runs customer_health.calibrate on the warehouse, publishes
the report beside the serving copy (LATEST) and attaches it to the run as metadata; its
monthly schedule is off until someone switches it on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import DefaultScheduleStatus
from test_calibrate import SEEDS, TRAIN_UNTIL, build_warehouse

from customer_health.calibrate.store import latest_report
from customer_health.config import load_settings
from orchestration.calibration import CALIBRATION_CRON, build_calibration_job, build_calibration_schedule
from orchestration.resources import HealthWarehouse


def _run(tmp_path: Path, warehouse: Path, train_until: str) -> tuple[object, Path]:
    serving = tmp_path / "serving"
    resources = {
        "warehouse": HealthWarehouse(
            duckdb_path=str(warehouse), serving_dir=str(serving), seeds_dir=str(SEEDS)
        )
    }
    run_config = {"ops": {"calibrate_definition": {"config": {"train_until": train_until}}}}
    result = build_calibration_job().execute_in_process(resources=resources, run_config=run_config)
    return result, serving


def _metadata(result: object) -> dict:
    events = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]  # type: ignore[attr-defined]
    return {key: value.value for key, value in events[0].step_output_data.metadata.items()}


def test_job_attaches_the_report_and_publishes_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse)
    result, serving = _run(tmp_path, warehouse, TRAIN_UNTIL.isoformat())
    assert result.success
    metadata = _metadata(result)
    assert metadata["status"] == "ok"
    assert metadata["candidate_auc"] > metadata["current_auc"]
    assert "Held-out evaluation" in metadata["report"]
    latest = latest_report(serving)
    assert latest is not None
    report, markdown, run_dir = latest
    assert report["status"] == "ok" and (run_dir / "health_profile_indicators.csv").exists()


def test_a_refusal_is_reported_not_failed(tmp_path: Path) -> None:
    warehouse = tmp_path / "small.duckdb"
    build_warehouse(warehouse, accounts=100)
    result, serving = _run(tmp_path, warehouse, (TRAIN_UNTIL - dt.timedelta(days=300)).isoformat())
    assert result.success
    metadata = _metadata(result)
    assert metadata["status"] == "refused" and "too little history" in metadata["message"]
    assert latest_report(serving)[0]["status"] == "refused"


def test_monthly_schedule_is_off_by_default() -> None:
    schedule = build_calibration_schedule(build_calibration_job(), load_settings())
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == CALIBRATION_CRON
