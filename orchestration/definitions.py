"""The Dagster code location: `dagster dev -m orchestration.definitions`.

Loading reads the dbt manifest prepared by `make manifest` (HEALTH_DBT_MANIFEST overrides
its path) and never runs dbt. Settings come from environment variables
(orchestration/settings.py, docs/orchestration.md).
"""

from __future__ import annotations

from dagster import DailyPartitionsDefinition, Definitions, in_process_executor

from orchestration.assets import build_dbt_assets, health_alert_delivery
from orchestration.jobs import build_jobs
from orchestration.project import classify_nodes, dbt_project, load_manifest
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_schedule, build_weekly_schedule
from orchestration.sensors import build_definition_change_sensor
from orchestration.settings import Settings, load_settings


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    # UTC days, like as_of_date; the day in progress is not a partition until it ends.
    return DailyPartitionsDefinition(start_date=settings.partitions_start, timezone="UTC")


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    manifest = load_manifest(settings.manifest_path)
    project = dbt_project(settings)
    grains = classify_nodes(manifest)
    partitions_def = daily_partitions(settings)
    daily_job, recalculation_job, weekly_job = build_jobs()
    return Definitions(
        assets=[
            *build_dbt_assets(manifest, project, grains, partitions_def),
            health_alert_delivery,
        ],
        jobs=[daily_job, recalculation_job, weekly_job],
        schedules=[
            build_daily_schedule(daily_job, settings),
            build_weekly_schedule(weekly_job, settings),
        ],
        sensors=[build_definition_change_sensor(recalculation_job, partitions_def, settings)],
        resources=build_resources(settings, project),
        # Every op holds the single warehouse slot in turn, so a process per step would only
        # add start-up time (importing Dagster and the definitions again, ~5-15 s per op).
        executor=in_process_executor,
    )


defs = build_definitions()
