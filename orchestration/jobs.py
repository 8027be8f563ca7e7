"""Asset jobs: the daily pipeline, the recalculation of a window, and the weekly job.

The daily and recalculation jobs run the whole graph: the raw source checks, the dbt models
(seeds and staging, the daily models for the run's partition(s), then dimensions, alerts
and the rest), the blocking mart checks, the serving publication and alert delivery; all
but the models tagged `weekly` in dbt (the churn model's training and evaluation). The
weekly job retrains the churn model on what the daily runs built; it does not publish
(a publication copies every mart, and only a run that checked them all may do that: the
next daily run publishes the new churn risk). A run over a range of partitions (the tags
below) executes the daily models as ONE dbt invocation (BackfillPolicy.single_run()).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagster import AssetKey, AssetSelection, define_asset_job

from orchestration.dbt.paths import EVENT_HISTORY_TAG, PATH_TAG, RunPath

DAILY_JOB_NAME = "health_daily_job"
RECALCULATION_JOB_NAME = "health_recalculation_job"
RESCORE_JOB_NAME = "health_rescore_job"
WEEKLY_JOB_NAME = "health_weekly_job"
TRIGGER_TAG = "health/trigger"
# dbt tag of the models that run weekly, not daily (dagster-dbt maps a dbt tag to an asset
# tag with an empty value).
WEEKLY_TAG = "weekly"
# The run tags that make a run cover a range of partitions (Dagster's documented tags for
# single-run backfills; launch with `dagster job launch ... --tags`, a RunRequest's tags, or
# `execute_in_process(tags=...)`).
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

#: What define_asset_job returns (its class lives in Dagster's internals).
AssetJob = Any


def range_tags(start: str, end: str) -> dict[str, str]:
    """Run tags for one run over the partitions start..end (inclusive ISO days)."""
    return {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}


def build_jobs(raw_keys: Iterable[AssetKey]) -> tuple[AssetJob, AssetJob, AssetJob, AssetJob]:
    # Partitioning is inferred from the assets: the daily models' DailyPartitionsDefinition.
    weekly_assets = AssetSelection.tag(WEEKLY_TAG, "")
    raw_checks = AssetSelection.checks_for_assets(*raw_keys)
    everything = (AssetSelection.all() - weekly_assets) | raw_checks
    event_history = AssetSelection.tag(EVENT_HISTORY_TAG, "")
    daily = define_asset_job(
        DAILY_JOB_NAME,
        selection=everything,
        description="One day (the schedule: yesterday), end to end, published for BI if it passes.",
        tags={TRIGGER_TAG: "daily"},
    )
    recalculation = define_asset_job(
        RECALCULATION_JOB_NAME,
        selection=everything,
        description=(
            "Recalculate a window of days as one run: launch it over a partition range "
            "(see docs/orchestration.md). The definition-change sensor launches it over the "
            "last HEALTH_RECALCULATION_DAYS days."
        ),
        tags={TRIGGER_TAG: "recalculation", PATH_TAG: RunPath.FULL.value},
    )
    rescore = define_asset_job(
        RESCORE_JOB_NAME,
        selection=(everything - event_history) | raw_checks,
        description=(
            "Recalculate a window after a change of the scoring definition only: the stored "
            "indicator values are rescored, no model that reads event history runs "
            "(docs/decisions/0004-rescoring-path.md). The sensor and `make recalculate` choose "
            "it by themselves; launched on a window that cannot be rescored, it fails and says why."
        ),
        tags={TRIGGER_TAG: "recalculation", PATH_TAG: RunPath.RESCORE.value},
    )
    weekly = define_asset_job(
        WEEKLY_JOB_NAME,
        selection=weekly_assets,
        description="Retrain and evaluate the churn model on the scores the daily runs built.",
        tags={TRIGGER_TAG: "weekly"},
    )
    return daily, recalculation, rescore, weekly
