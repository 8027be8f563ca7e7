"""Asset jobs: the daily pipeline, the recalculation of a window, and the weekly job.

The daily and recalculation jobs run the whole asset graph (seeds and staging, the
daily-grain models for the run's partition(s), then dimensions, alerts and alert delivery)
except the models tagged `weekly` in dbt (the churn model's training and evaluation), so
that a recalculation picks up changed definition seeds and leaves alerts consistent with the
new scores. The weekly job retrains the churn model on what the daily runs built. A run over a
range of partitions (tags dagster/asset_partition_range_start / _end) executes the daily
models as ONE dbt invocation (BackfillPolicy.single_run()).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import AssetSelection, define_asset_job

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


DAILY_JOB_NAME = "health_daily_job"
RECALCULATION_JOB_NAME = "health_recalculation_job"
WEEKLY_JOB_NAME = "health_weekly_job"
# dbt tag of the models that run weekly, not daily (dagster-dbt maps a dbt tag to an asset
# tag with an empty value).
WEEKLY_TAG = "weekly"


def build_jobs() -> tuple[
    UnresolvedAssetJobDefinition, UnresolvedAssetJobDefinition, UnresolvedAssetJobDefinition
]:
    # Partitioning is inferred from the assets: the daily models' DailyPartitionsDefinition.
    weekly_assets = AssetSelection.tag(WEEKLY_TAG, "")
    everything = AssetSelection.all() - weekly_assets
    daily = define_asset_job(
        DAILY_JOB_NAME,
        selection=everything,
        description="Yesterday's partition (the schedule), or any one day, end to end.",
        run_tags={"health/trigger": "daily"},
    )
    recalculation = define_asset_job(
        RECALCULATION_JOB_NAME,
        selection=everything,
        description=(
            "Recalculate a window of days as one run: launch it over a partition range "
            "(see docs/orchestration.md). The definition-change sensor launches it over the "
            "last HEALTH_RECALCULATION_DAYS days."
        ),
        run_tags={"health/trigger": "recalculation"},
    )
    weekly = define_asset_job(
        WEEKLY_JOB_NAME,
        selection=weekly_assets,
        description="Retrain and evaluate the churn model on the scores the daily runs built.",
        run_tags={"health/trigger": "weekly"},
    )
    return daily, recalculation, weekly
