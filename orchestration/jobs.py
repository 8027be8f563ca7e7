"""Asset jobs: the daily pipeline and the recalculation of a window.

Both run the whole asset graph (seeds and staging, the daily-grain models for the run's
partition(s), then dimensions, alerts and alert delivery), so that a recalculation picks up
changed definition seeds and leaves alerts consistent with the new scores. A run over a
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


def build_jobs() -> tuple[UnresolvedAssetJobDefinition, UnresolvedAssetJobDefinition]:
    # Partitioning is inferred from the assets: the daily models' DailyPartitionsDefinition.
    everything = AssetSelection.all()
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
    return daily, recalculation
