"""The Dagster code location: `dagster dev -m orchestration.definitions`.

One asset graph is the system: raw sources (with non-blocking Great Expectations checks)
-> the dbt models (dbt tests as asset checks) -> blocking Great Expectations checks on the
public marts -> the serving publication for BI -> alert delivery. The daily schedule, the
recalculation job, the definition-change sensor, the intraday sensor and job (today's
partial health), `make demo` and the tests all run it.
Loading reads the dbt manifest prepared by `make manifest` (HEALTH_DBT_MANIFEST overrides
its path) and never runs dbt; settings come from the environment (customer_health/config.py).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from functools import reduce
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DailyPartitionsDefinition,
    Definitions,
    in_process_executor,
)
from dagster_dbt import DbtProject, build_dbt_asset_selection
from dagster_dbt.utils import select_unique_ids

from customer_health import config
from customer_health.config import Settings, load_settings
from customer_health.manifest import load_manifest
from orchestration.alerts.asset import DELIVERY_KEY, health_alert_delivery
from orchestration.calibration import build_calibration_job, build_calibration_schedule
from orchestration.dbt.assets import build_dbt_assets
from orchestration.dbt.history_checks import build_history_checks
from orchestration.dbt.project import dbt_project
from orchestration.dbt.translator import HealthDbtTranslator, raw_source_specs
from orchestration.intraday import IntradayPlan, build_intraday_sensor, intraday_plan
from orchestration.jobs import WEEKLY_TAG, AssetJob, build_intraday_job, build_jobs
from orchestration.quality.checks import MART_CHECK, build_mart_checks, build_raw_checks
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_schedule, build_weekly_schedule
from orchestration.sensors import build_definition_change_sensor
from orchestration.serving.publication import PUBLICATION_KEY, build_publication

INTRADAY_SELECTOR = "health_intraday"
RESCORE_SELECTOR = "health_rescore"
PUBLISHED = (PUBLICATION_KEY, DELIVERY_KEY)


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    """UTC days, like as_of_date, up to the day in progress (end_offset=1): intraday runs
    materialize today's partition with partial rows, the nightly run finalises it. Under a
    fixed clock (HEALTH_NOW) the last partition is HEALTH_NOW's day, not the real one."""
    end = (config.today() + dt.timedelta(days=1)).isoformat() if config.clock_is_fixed() else None
    return DailyPartitionsDefinition(
        start_date=settings.partitions_start, end_date=end, end_offset=1, timezone="UTC"
    )


def selector_assets(
    manifest: Mapping[str, Any], dbt_assets: Sequence[AssetsDefinition], project: DbtProject, selector: str
) -> tuple[AssetSelection, set[str], set[AssetKey]]:
    """The dbt assets of a YAML selector of selectors.yml, their unique ids and asset keys."""
    unique_ids = select_unique_ids(
        select="fqn:*", exclude="", selector=selector, project=project, manifest_json=manifest
    )
    translator = HealthDbtTranslator()
    keys = {
        translator.get_asset_key(manifest["nodes"][uid]) for uid in unique_ids if uid in manifest["nodes"]
    }
    selection = reduce(
        operator.or_,
        (build_dbt_asset_selection([assets], dbt_selector=selector) for assets in dbt_assets),
    )
    return selection, unique_ids, keys


def build_intraday(
    manifest: Mapping[str, Any],
    dbt_assets: Sequence[AssetsDefinition],
    public_marts: Sequence[AssetKey],
    project: DbtProject,
) -> tuple[AssetJob, IntradayPlan]:
    """health_intraday_job (the dbt selector health_intraday, the blocking mart checks of its
    public marts, the publication and delivery) and the plan its sensor selects runs with."""
    models, unique_ids, keys = selector_assets(manifest, dbt_assets, project, INTRADAY_SELECTOR)
    job = build_intraday_job(
        models,
        [AssetCheckKey(key, MART_CHECK) for key in public_marts if key in keys],
        AssetSelection.assets(*PUBLISHED),
    )
    return job, intraday_plan(manifest, unique_ids, PUBLISHED)


def rescore_selection(
    manifest: Mapping[str, Any], rescored_models: AssetSelection, public_marts: Sequence[AssetKey]
) -> AssetSelection:
    """What health_rescore_job runs: the dbt selector health_rescore (the scoring seeds and
    what is built from them: `rescored_models`) with its dbt tests, the blocking checks of
    every public mart the daily job checks (the publication copies them all, the ones this
    run did not rebuild too; the weekly marts are the weekly job's), the publication and
    delivery."""
    weekly = {
        HealthDbtTranslator().get_asset_key(node)
        for node in manifest["nodes"].values()
        if WEEKLY_TAG in node.get("tags", [])
    }
    checks = [AssetCheckKey(key, MART_CHECK) for key in public_marts if key not in weekly]
    return rescored_models | AssetSelection.checks(*checks) | AssetSelection.assets(*PUBLISHED)


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    project = dbt_project(settings)
    manifest = load_manifest(settings.manifest_path)
    partitions_def = daily_partitions(settings)
    raw_specs = raw_source_specs(manifest, HealthDbtTranslator())
    dbt_assets = build_dbt_assets(manifest, project, partitions_def)
    rescored_models, _, rescored_keys = selector_assets(manifest, dbt_assets, project, RESCORE_SELECTOR)
    mart_checks = build_mart_checks(dbt_assets, manifest, rescored_keys)
    public_marts = [check_key.asset_key for checks in mart_checks for check_key in checks.check_keys]
    raw_keys = [spec.key for spec in raw_specs]
    history_checks = build_history_checks(manifest, HealthDbtTranslator())
    history_keys = list(history_checks.check_keys) if history_checks else []
    daily_job, recalculation_job, rescore_job, weekly_job = build_jobs(
        raw_keys, rescore_selection(manifest, rescored_models, public_marts), history_keys
    )
    intraday_job, plan = build_intraday(manifest, dbt_assets, public_marts, project)
    calibration_job = build_calibration_job()
    return Definitions(
        assets=[*raw_specs, *dbt_assets, build_publication(public_marts, manifest), health_alert_delivery],
        asset_checks=[
            *build_raw_checks(raw_specs),
            *mart_checks,
            *([history_checks] if history_checks else []),
        ],
        jobs=[daily_job, recalculation_job, rescore_job, weekly_job, intraday_job, calibration_job],
        schedules=[
            build_daily_schedule(daily_job, settings),
            build_weekly_schedule(weekly_job, settings),
            build_calibration_schedule(calibration_job, settings),
        ],
        sensors=[
            build_definition_change_sensor([recalculation_job, rescore_job], partitions_def, settings),
            build_intraday_sensor(intraday_job, settings, manifest, plan),
        ],
        resources=build_resources(settings, project),
        # Every op holds the single warehouse slot in turn, so a process per step would only
        # add start-up time (importing Dagster and the definitions again, ~5-15 s per op).
        executor=in_process_executor,
    )


defs = build_definitions()
