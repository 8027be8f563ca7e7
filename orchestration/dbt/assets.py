"""The dbt project as Dagster assets: one @dbt_assets, one `dbt build` per run.

What it holds is the YAML selector `health_pipeline` of `selectors.yml` (read from the
manifest): every model, seed, snapshot and test but the whole-history tests (the weekly
job's, orchestration/dbt/history_checks.py). The models tagged `daily` in dbt are
partitioned by UTC day (HealthDbtTranslator); the others are unpartitioned. A run over one
partition or a range of them is ONE `dbt build` (BackfillPolicy.single_run()) of what the
job selects: seeds, staging, the daily models for the window, then what is built from them
(docs/decisions/0009: one invocation instead of one per group saves its fixed cost).

The window reaches dbt as the run vars health_start_date / health_end_date (Dagster's time
window is half-open, the vars are inclusive: end = window end - 1 day), in the
environment variable HEALTH_DBT_RUN_VARS rather than `--vars`: dbt re-parses the whole
project when `--vars` change, and a run's window changes every day (macros/run_vars.sql,
docs/decisions/0010). A run without partitions passes none, and dbt's default window is
yesterday by the project's clock. dbt tests are asset checks of the model
they test; a failing error-severity test fails the step, so nothing downstream of it (the
mart checks, the publication) runs. The dbt op holds the single warehouse slot.
"""

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from customer_health.config import WAREHOUSE_POOL, env_int, yesterday
from customer_health.manifest import files_newer_than, raw_tables
from customer_health.quality import open_ahead
from customer_health.warehouse import (
    SCORES,
    WarehouseBusyError,
    WarehouseMissingError,
    holds_scores,
    missing_raw,
)
from orchestration.dbt.history_checks import HISTORY_SCAN_TAG
from orchestration.dbt.invocations import keep_setting, prune_invocations, target_base
from orchestration.dbt.paths import PATH_TAG, RunPath, choose_path, choose_scoring_span
from orchestration.dbt.translator import HealthDbtTranslator
from orchestration.dbt.upgrade import (
    drift_message,
    drop_tables,
    rebuild_done,
    recalculate_command,
    schema_drift,
    unbuilt_warning,
)
from orchestration.jobs import DAILY_JOB_NAME, INTRADAY_JOB_NAME, RECALCULATION_JOB_NAME, WEEKLY_JOB_NAME
from orchestration.resources import HealthWarehouse

PIPELINE_SELECTOR = "health_pipeline"

PARTIAL_PARSE = "partial_parse.msgpack"
STOP_SECONDS = 30
# The run vars of a dbt invocation (macros/run_vars.sql).
RUN_VARS_ENV = "HEALTH_DBT_RUN_VARS"
# dbt's threads in a run over several days (build_args).
RANGE_THREADS_ENV = "HEALTH_DBT_RANGE_THREADS"

Context = AssetExecutionContext | AssetCheckExecutionContext


def run_window(context: Context) -> tuple[dt.date, dt.date] | None:
    """The inclusive window of days of the run's partition(s), or None for a run without.

    A run over one partition (a schedule's or a sensor's run request) has a partition key,
    a range run has range tags: both are windows (the intraday run's is today, which dbt's
    default window, yesterday, would miss)."""
    op_context = context.op_execution_context if isinstance(context, AssetCheckExecutionContext) else context
    if not (op_context.has_partition_key or op_context.has_partition_key_range):
        return None
    time_window = op_context.partition_time_window
    return time_window.start.date(), (time_window.end - dt.timedelta(days=1)).date()


def window_vars(start: dt.date, end_inclusive: dt.date) -> dict[str, str | bool]:
    return {"health_start_date": start.isoformat(), "health_end_date": end_inclusive.isoformat()}


def run_vars(
    context: AssetExecutionContext, warehouse: HealthWarehouse, manifest: Mapping[str, Any]
) -> dict[str, str | bool]:
    """The run vars of the invocation (macros/run_vars.sql): the window, and
    recompute_scoring_span false for an intraday run (today's rows compare with the stored
    rows of 30 days ago: no need to recompute the 29 days between, docs/decisions/0400) and
    for a daily run whose compared day is stored as the nightly run left it (decision 0012)."""
    window = run_window(context)
    if window is None:
        return {}
    values = window_vars(*window)
    if context.run.job_name == INTRADAY_JOB_NAME:
        values["recompute_scoring_span"] = False
    elif context.run.job_name == DAILY_JOB_NAME:
        choice = choose_scoring_span(warehouse.path, *window, warehouse.seeds, manifest)
        context.log.info(
            f"scoring span: {'recomputed' if choice.recompute else 'compared day read'} ({choice.reason})"
        )
        if not choice.recompute:
            values["recompute_scoring_span"] = False
    return values


def build_args(context: AssetExecutionContext) -> list[str]:
    """`dbt build` (the run vars travel in the environment: `run_vars`).

    The whole op is the selector health_pipeline. A job's subset of it (the daily job leaves
    out the weekly models, a rescore runs the selector health_rescore, an intraday run
    all but what landed) is dagster-dbt's selection of the subset's models, whose tests
    dbt's eager indirect selection adds: less the whole-history tests the selector leaves
    out (docs/decisions/0006). In one invocation a test runs after all its selected parents,
    e.g. the relationships test fct_account_health_daily -> dim_account after this run
    rebuilt dim_account."""
    args = ["build"]
    if context.is_subset:
        args += ["--exclude", f"tag:{HISTORY_SCAN_TAG}"]
    # A run over several days (a recalculation, a rescore, a backfill) is a few heavy
    # models that DuckDB spreads over every core by itself: one dbt thread, so that two of
    # them do not share the cores and the memory limit (decision 0014). A one-day run is
    # many small nodes, and keeps the profile's threads.
    window = run_window(context)
    if window is not None and window[1] > window[0]:
        args += ["--threads", str(env_int(RANGE_THREADS_ENV, 1, minimum=1))]
    # Unit tests check the SQL, not the data: they run in CI (tests/test_dbt_unit_tests.py),
    # not in production runs, as dbt recommends. In a run they cost 36 invocations of about
    # 0.4 s each on inputs that never change (docs/decisions/0005, last section).
    return [*args, "--exclude-resource-type", "unit_test"]


@contextlib.contextmanager
def run_vars_in_environment(values: Mapping[str, str | bool]) -> Iterator[None]:
    """HEALTH_DBT_RUN_VARS set to `values` (JSON) while the dbt subprocess starts: it
    inherits this process's environment (DbtCliResource.cli)."""
    saved = os.environ.get(RUN_VARS_ENV)
    os.environ[RUN_VARS_ENV] = json.dumps(dict(values))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(RUN_VARS_ENV, None)
        else:
            os.environ[RUN_VARS_ENV] = saved


def _warn_if_manifest_is_stale(context: AssetExecutionContext, project: DbtProject) -> None:
    changed = files_newer_than(Path(project.manifest_path), Path(project.project_dir))
    if changed:
        shown = ", ".join(str(path.relative_to(project.project_dir)) for path in changed[:5])
        context.log.warning(
            f"{len(changed)} dbt file(s) changed after the manifest was prepared ({shown}"
            f"{', ...' if len(changed) > 5 else ''}): run `make manifest` and reload the "
            "definitions, or new dbt nodes will fail this op"
        )


def check_warehouse(warehouse: HealthWarehouse, manifest: Mapping[str, Any], job: str) -> None:
    """Fail before dbt starts when the warehouse holds nothing to build from: its file does
    not exist (dbt would create an empty one and fail on every model that reads a source),
    or a raw source table the contract requires, or one of its documented columns, is
    missing (dbt would fail deep in a model's SQL), or, for a job that builds on the daily
    job's scores (intraday: no seeds; weekly: the churn model), no daily run built it.
    `meta: {optional: true}` marks the table the loader may leave out. A file another
    process holds is dbt's to report."""
    required = {
        f"{table.schema}.{table.table}": table.columns for table in raw_tables(manifest) if not table.optional
    }
    try:
        tables, columns = missing_raw(warehouse.path, required)
        unbuilt = job in (INTRADAY_JOB_NAME, WEEKLY_JOB_NAME) and not holds_scores(warehouse.path)
    except WarehouseMissingError:
        raise Failure(
            f"the warehouse file {warehouse.path} does not exist: load the raw sources into it "
            "first (the ELT loader; for demo data `python -m healthgen` or `make demo`)"
        ) from None
    except WarehouseBusyError:
        return
    lacking = ([f"table(s) {', '.join(tables)}"] if tables else []) + (
        [f"column(s) {', '.join(columns)}"] if columns else []
    )
    if lacking:
        raise Failure(
            f"the warehouse {warehouse.path} lacks what the raw-source contract requires: "
            + "; ".join(lacking)
        )
    if unbuilt:
        raise Failure(
            f"the warehouse {warehouse.path} holds no scores yet (no {SCORES}): {job} builds on "
            f"the daily job's; run {DAILY_JOB_NAME} first"
        )


def rebuild_drifted(
    context: AssetExecutionContext,
    warehouse: HealthWarehouse,
    manifest: Mapping[str, Any],
    window: tuple[dt.date, dt.date] | None,
) -> bool:
    """Tables an earlier version of the project built with other columns
    (orchestration/dbt/upgrade.py): the recalculation drops the incremental models' when its
    window covers the days they hold, and dbt builds them again over it (True: it dropped
    them); every other run fails before dbt starts, with the recalculation that mends it.
    Seeds mend themselves in every run that loads them: all but the intraday run. A daily
    model without a table gets a warning: a run creates it with its own days only."""
    try:
        drifts = schema_drift(warehouse.path, manifest)
    except (WarehouseBusyError, WarehouseMissingError):
        return False  # check_warehouse let it through: dbt's to report
    job = context.run.job_name
    unbuilt = unbuilt_warning(drifts, window)
    if unbuilt:
        context.log.warning(unbuilt)
    if drifts and not drifts.models() and job == INTRADAY_JOB_NAME:
        raise Failure(
            f"the definition seeds changed columns since the last daily run ({drifts.describe()}): "
            f"an intraday run reads them as that run loaded them; run {DAILY_JOB_NAME} first"
        )
    drifts = drifts.models()
    if not drifts:
        return False
    if job != RECALCULATION_JOB_NAME:
        raise Failure(drift_message(warehouse.path, drifts, window[1] if window else yesterday()))
    missing = drifts.uncovered(window)
    if missing is not None:
        days = (min(missing[0], window[0]), max(missing[1], window[1])) if window else missing
        raise Failure(
            f"this recalculation rebuilds tables an earlier version of the project built "
            f"({drifts.describe()}), and its window does not cover the days the warehouse has "
            f"scores for ({missing[0]}..{missing[1]}), which would be lost: "
            f"{recalculate_command(days)}"
        )
    drop_tables(warehouse.path, drifts)
    context.log.warning(f"rebuilt over the window, as on a first build: {drifts.describe()}")
    return True


def _keep_partial_parse(invocation_target: Path, project: DbtProject) -> None:
    """Hand this invocation's parse state to the next one.

    dagster-dbt gives every invocation its own target directory and seeds it with the
    partial_parse.msgpack of DBT_TARGET_PATH (default target/). Without this, every run
    re-parses the project (new vars, dev target); with it, only a run after a change does
    (docs/decisions/0001-window-and-incremental-strategy.md)."""
    state = invocation_target / PARTIAL_PARSE
    base = target_base(project.project_dir)
    if state.exists() and base.is_dir():
        tmp = base / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copyfile(state, tmp)
        os.replace(tmp, base / PARTIAL_PARSE)


@contextlib.contextmanager
def _stopped_on_failure(process: subprocess.Popen) -> Iterator[None]:
    """Stop dbt when reading its events fails. dagster-dbt raises while it reads them when
    the manifest lacks a node dbt runs (a dbt file changed after `make manifest`), and
    returns without ending dbt: dbt went on building and held the warehouse's write lock
    after the step failed: the run's next warehouse step failed on the lock, and a run
    started right after would have. dbt gets the interrupt dagster-dbt forwards on a run's
    termination (it cancels its queries), then is killed if it has not ended within
    STOP_SECONDS."""
    try:
        yield
    except BaseException:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise


def _run(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    project: DbtProject,
    warehouse: HealthWarehouse,
    manifest: Mapping[str, Any],
) -> Iterator[Any]:
    """The run's one dbt invocation. It checks first that the warehouse holds what the job
    builds from (check_warehouse), and a rescore run that its window can be rescored
    (launched by hand on the wrong occasion, it fails and says why)."""
    _warn_if_manifest_is_stale(context, project)
    check_warehouse(warehouse, manifest, context.run.job_name)
    keep = keep_setting()
    args = build_args(context)
    window = run_window(context)
    rebuilding = rebuild_drifted(context, warehouse, manifest, window)
    if window is not None:
        path = context.run.tags.get(PATH_TAG, RunPath.FULL)
        if path == RunPath.RESCORE:
            choice = choose_path(warehouse.path, *window, warehouse.seeds, manifest)
            if choice.path is not RunPath.RESCORE:
                raise Failure(
                    f"this window cannot be rescored: {choice.reason}; run health_recalculation_job"
                )
        context.log.info(
            f"dbt build over {window[0]}..{window[1]} ({(window[1] - window[0]).days + 1} days) "
            f"in one invocation, {path} path"
        )
    values = run_vars(context, warehouse, manifest)
    context.log.info(f"{RUN_VARS_ENV}={json.dumps(values)}")
    # The Great Expectations checks after this step find the GX project open: it opens while
    # this process waits on dbt (decision 0017). Every job validates after its dbt step: the
    # weekly one its two weekly marts (the mart checks of fct_churn_risk and
    # rpt_churn_model_evaluation).
    opening = open_ahead(manifest)
    try:
        with run_vars_in_environment(values):
            invocation = dbt.cli(args, context=context)
        with _stopped_on_failure(invocation.process):
            yield from invocation.stream()
        if rebuilding:
            rebuild_done(warehouse.path)
        _keep_partial_parse(invocation.target_path, project)
    finally:
        opening.join()
        prune_invocations(target_base(project.project_dir), keep)


def build_dbt_assets(
    manifest: Mapping[str, Any], project: DbtProject, partitions_def: DailyPartitionsDefinition
) -> list[AssetsDefinition]:
    """The dbt project as one op (docs/decisions/0009): the daily models partitioned by day,
    everything else unpartitioned, one `dbt build` per run."""

    @dbt_assets(
        manifest=manifest,
        project=project,
        selector=PIPELINE_SELECTOR,
        dagster_dbt_translator=HealthDbtTranslator(partitions_def),
        name="health_dbt",
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def health_dbt(
        context: AssetExecutionContext, dbt: DbtCliResource, warehouse: HealthWarehouse
    ) -> Iterator[Any]:
        yield from _run(context, dbt, project, warehouse, manifest)

    return [health_dbt]
