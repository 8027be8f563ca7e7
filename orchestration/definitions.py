"""The Dagster code location: `dagster dev -m orchestration.definitions`.

One asset graph is the system: raw sources (with non-blocking Great Expectations checks)
-> the dbt models (dbt tests as asset checks) -> blocking Great Expectations checks on the
public marts -> the serving publication for BI -> alert delivery. The daily schedule, the
recalculation job, the definition-change sensor, `make demo` and the tests all run it.
Loading reads the dbt manifest prepared by `make manifest` (HEALTH_DBT_MANIFEST overrides
its path) and never runs dbt; settings come from the environment (customer_health/config.py).
"""

from __future__ import annotations

from dagster import DailyPartitionsDefinition, Definitions, in_process_executor

from customer_health.config import Settings, load_settings
from customer_health.manifest import load_manifest
from orchestration.alerts.asset import health_alert_delivery
from orchestration.calibration import build_calibration_job, build_calibration_schedule
from orchestration.dbt.assets import build_dbt_assets
from orchestration.dbt.project import dbt_project
from orchestration.dbt.translator import HealthDbtTranslator, raw_source_specs
from orchestration.jobs import build_jobs
from orchestration.quality.checks import build_mart_checks, build_raw_checks
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_schedule, build_weekly_schedule
from orchestration.sensors import build_definition_change_sensor
from orchestration.serving.publication import build_publication


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    # UTC days, like as_of_date; the day in progress is not a partition until it ends.
    return DailyPartitionsDefinition(start_date=settings.partitions_start, timezone="UTC")


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    project = dbt_project(settings)
    manifest = load_manifest(settings.manifest_path)
    partitions_def = daily_partitions(settings)
    raw_specs = raw_source_specs(manifest, HealthDbtTranslator())
    dbt_assets = build_dbt_assets(manifest, project, partitions_def)
    mart_checks = build_mart_checks(dbt_assets, manifest)
    public_marts = [check_key.asset_key for checks in mart_checks for check_key in checks.check_keys]
    daily_job, recalculation_job, weekly_job = build_jobs(spec.key for spec in raw_specs)
    calibration_job = build_calibration_job()
    return Definitions(
        assets=[*raw_specs, *dbt_assets, build_publication(public_marts), health_alert_delivery],
        asset_checks=[*build_raw_checks(raw_specs), *mart_checks],
        jobs=[daily_job, recalculation_job, weekly_job, calibration_job],
        schedules=[
            build_daily_schedule(daily_job, settings),
            build_weekly_schedule(weekly_job, settings),
            build_calibration_schedule(calibration_job, settings),
        ],
        sensors=[build_definition_change_sensor(recalculation_job, partitions_def, settings)],
        resources=build_resources(settings, project),
        # Every op holds the single warehouse slot in turn, so a process per step would only
        # add start-up time (importing Dagster and the definitions again, ~5-15 s per op).
        executor=in_process_executor,
    )


defs = build_definitions()
