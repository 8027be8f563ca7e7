"""Asset jobs: the daily pipeline, the recalculation of a window, the weekly job and the
intraday job.

The daily and recalculation jobs run the whole graph: the raw source checks, the dbt models
(seeds and staging, the daily models for the run's partition(s), then dimensions, alerts
and the rest), the blocking mart checks, the serving publication and alert delivery; all
but the models tagged `weekly` in dbt (the churn model's training and evaluation). The
weekly job retrains the churn model on what the daily runs built; it does not publish
(a publication copies every mart, and only a run that checked them all may do that: the
next daily run publishes the new churn risk). A run over a range of partitions (the tags
below) executes the daily models as ONE dbt invocation (BackfillPolicy.single_run()).

The intraday job runs on today's partition (the health_intraday_sensor launches it when
raw rows land): what the dbt selector `health_intraday` declares (staging and everything
the daily models read, the daily models, and of their dependants only the dbt tag
`intraday`: the account dimension and the alerts) with their dbt tests, the same blocking
mart checks, the publication and alert delivery; its sensor narrows each run to the models
built from the tables that landed. Its rows of today are partial (`is_partial_day`); the
nightly daily run finalises the day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagster import AssetCheckKey, AssetKey, AssetSelection, define_asset_job

from orchestration.dbt.paths import PATH_TAG, RunPath

DAILY_JOB_NAME = "health_daily_job"
RECALCULATION_JOB_NAME = "health_recalculation_job"
RESCORE_JOB_NAME = "health_rescore_job"
WEEKLY_JOB_NAME = "health_weekly_job"
INTRADAY_JOB_NAME = "health_intraday_job"
TRIGGER_TAG = "health/trigger"
# dbt tag of the models that run weekly, not daily (dagster-dbt maps a dbt tag to an asset
# tag with an empty value).
WEEKLY_TAG = "weekly"
# dbt tag of the models built from the daily ones that intraday runs rebuild too.
INTRADAY_TAG = "intraday"
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


def build_jobs(
    raw_keys: Iterable[AssetKey],
    rescored: AssetSelection,
    history_checks: Iterable[AssetCheckKey] = (),
) -> tuple[AssetJob, AssetJob, AssetJob, AssetJob]:
    """The daily, recalculation, rescore and weekly jobs. `rescored`: what a rescore runs
    (the dbt selector health_rescore with its tests, the blocking checks of the daily job's
    marts, the publication and delivery; no raw checks, it reads no raw table:
    orchestration/definitions.py). `history_checks`: the dbt tests
    over the whole event history (orchestration/dbt/history_checks.py), weekly only."""
    # Partitioning is inferred from the assets: the daily models' DailyPartitionsDefinition.
    weekly_assets = AssetSelection.tag(WEEKLY_TAG, "")
    raw_checks = AssetSelection.checks_for_assets(*raw_keys)
    whole_history = AssetSelection.checks(*history_checks)
    everything = (AssetSelection.all() - weekly_assets - whole_history) | raw_checks
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
        selection=rescored,
        description=(
            "Recalculate a window after a change of the scoring definition only: the scoring "
            "seeds and what is built from them (dbt selector health_rescore) rescore the "
            "stored indicator values; no model that reads event history runs "
            "(docs/decisions/0004-rescoring-path.md). The sensor and `make recalculate` choose "
            "it by themselves; launched on a window that cannot be rescored, it fails and says why."
        ),
        tags={TRIGGER_TAG: "recalculation", PATH_TAG: RunPath.RESCORE.value},
    )
    weekly = define_asset_job(
        WEEKLY_JOB_NAME,
        selection=weekly_assets | whole_history,
        description=(
            "Retrain and evaluate the churn model on the scores the daily runs built; run the "
            "dbt tests that scan the whole event history."
        ),
        tags={TRIGGER_TAG: "weekly"},
    )
    return daily, recalculation, rescore, weekly


def build_intraday_job(
    intraday_models: AssetSelection, mart_checks: Iterable[AssetCheckKey], published: AssetSelection
) -> AssetJob:
    """health_intraday_job: `intraday_models` (the dbt selector health_intraday) with their
    dbt tests, the blocking `mart_checks` of the public marts among them, and `published`
    (the publication and alert delivery). The raw load-profile checks (warnings) are the
    nightly run's."""
    return define_asset_job(
        INTRADAY_JOB_NAME,
        selection=intraday_models | AssetSelection.checks(*mart_checks) | published,
        description=(
            "Today's partial health (partition = today by HEALTH_NOW): new events aggregated, "
            "today scored and rolled up, alerts evaluated, checked, published, delivered. "
            "Launched by health_intraday_sensor when raw rows land; the nightly run finalises the day."
        ),
        tags={TRIGGER_TAG: "intraday"},
    )
