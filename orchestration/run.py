"""Run a job of the code location in this process, on a real Dagster instance.

    python -m orchestration.run health_daily_job [--start 2026-11-01 --end 2026-11-30]
    python -m orchestration.run health_intraday_job [--tick]

The same Definitions that `dagster dev` and the schedules load; a window runs as one run
over the partition range (one dbt invocation for the daily models). The instance is
$DAGSTER_HOME when set, else the project's .dagster_home (created from the template
orchestration/dagster.yaml), so the runs show in `make dagster`. The intraday job runs on
today's partition (by HEALTH_NOW); with --tick its sensor is evaluated once first, as the
daemon would, and the job runs only if the sensor requests it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, Definitions, RunRequest

from customer_health.config import PROJECT_DIR, today, yesterday
from customer_health.safety import UnsafeValueError, parse_window
from orchestration.dbt.paths import PATH_TAG, RunPath, choose_path
from orchestration.jobs import (
    DAILY_JOB_NAME,
    INTRADAY_JOB_NAME,
    RECALCULATION_JOB_NAME,
    RESCORE_JOB_NAME,
    TRIGGER_TAG,
    WEEKLY_JOB_NAME,
    range_tags,
)

DEFAULT_DAGSTER_HOME = PROJECT_DIR / ".dagster_home"

# Dagster's opt-in (dagster-io/dagster#29288): a run over a partition range records ONE
# "materialization planned" event per asset, holding the range, instead of one per asset
# and day: a 181-day build at 10,000 accounts spent 35.1 s of its 296 s on 4,957 of them
# before dbt started (docs/decisions/0015). What it costs: Dagster's status of each
# partition does not show the run's days in progress, nor failed when a model fails.
PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def instance() -> DagsterInstance:
    """$DAGSTER_HOME's instance, or the project's .dagster_home (made from the template)."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(PROJECT_DIR / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return DagsterInstance.get()


def run_job(
    job_name: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    defs: Definitions | None = None,
    dagster_instance: DagsterInstance | None = None,
    tags: dict[str, str] | None = None,
) -> Any:
    """Execute `job_name` in process; with a window, over the partitions start..end."""
    if defs is None:
        from orchestration.definitions import build_definitions

        defs = build_definitions()
    run_tags = dict(tags or {})
    job = defs.resolve_job_def(job_name)
    if start is not None:
        start, end = parse_window(start, end or start)
        check_window(job, start, end)
        run_tags.update(range_tags(start.isoformat(), end.isoformat()))
    days = (end - start).days + 1 if start is not None and end is not None else 0
    with planned_events_per_asset(days):
        return job.execute_in_process(
            instance=dagster_instance or instance(), tags=run_tags, raise_on_error=False
        )


class WindowError(ValueError):
    """A window outside the days the job's partitions hold."""


def check_window(job: Any, start: dt.date, end: dt.date) -> None:
    """WindowError unless start..end lies within the job's daily partitions: from
    HEALTH_PARTITIONS_START to today by the project's clock (HEALTH_NOW)."""
    partitions = job.partitions_def
    if partitions is None:
        raise WindowError(f"{job.name} runs without a window (no --start/--end)")
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    if start.isoformat() < first or end.isoformat() > last:
        raise WindowError(
            f"the window {start}..{end} is outside the days {job.name} can build, {first}..{last} "
            "(HEALTH_PARTITIONS_START to today by the project's clock, HEALTH_NOW)"
        )


@contextlib.contextmanager
def planned_events_per_asset(days: int) -> Iterator[None]:
    """For a run over more than one day (Dagster reads it when it creates the run): one
    planned event per asset (PLANNED_EVENTS_ENV), unless the environment sets it either
    way. A one-day run keeps one per asset and day: its day shows failed when a model fails."""
    if days <= 1 or PLANNED_EVENTS_ENV in os.environ:
        yield
        return
    os.environ[PLANNED_EVENTS_ENV] = "true"
    try:
        yield
    finally:
        os.environ.pop(PLANNED_EVENTS_ENV, None)


class NoSensorError(ValueError):
    """`--tick` for a job that no sensor launches."""


def tick_and_run(job_name: str, *, defs: Definitions | None = None) -> tuple[Any, str]:
    """Evaluate the sensor that launches `job_name` once (no cursor: as on a new instance)
    and run its request in process: (the result or None, the sensor's skip message)."""
    from dagster import build_sensor_context

    if defs is None:
        from orchestration.definitions import build_definitions

        defs = build_definitions()
    sensors = [s for s in defs.sensors if s.has_jobs and job_name in {job.name for job in s.jobs}]
    if not sensors:
        raise NoSensorError(f"--tick: no sensor launches {job_name} (a schedule or a person does)")
    [sensor] = sensors
    dagster_instance = instance()
    tick = sensor.evaluate_tick(
        build_sensor_context(
            instance=dagster_instance, resources=defs.resources, repository_def=defs.get_repository_def()
        )
    )
    if not tick.run_requests:
        return None, tick.skip_message or "no run requested"
    [request] = tick.run_requests
    return execute_request(defs.resolve_job_def(job_name), request, dagster_instance), ""


def execute_request(job: Any, request: RunRequest, dagster_instance: DagsterInstance) -> Any:
    """Run a sensor's or schedule's request in process, as the daemon would launch it: its
    partition, tags, and asset and check selection (the checks exactly as requested)."""
    if request.asset_selection is not None:
        job = job.get_subset(
            asset_selection=set(request.asset_selection),
            asset_check_selection=set(request.asset_check_keys or []),
        )
    return job.execute_in_process(
        instance=dagster_instance,
        partition_key=request.partition_key,
        tags=dict(request.tags),
        raise_on_error=False,
    )


def _abridged(text: str, head: int = 2000, tail: int = 500) -> str:
    return text if len(text) <= head + tail + 5 else f"{text[:head]} ... {text[-tail:]}"


def failure_messages(result: Any) -> list[str]:
    """Why a run failed: the failed steps' errors, with what caused them (a step's own
    error is Dagster's "Error occurred while executing op"; the reason is its cause), and
    failed blocking checks. A long reason (dagster-dbt's error quotes the whole dbt command)
    keeps its beginning and end, so every cause in the chain stays readable."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error, reasons = event.step_failure_data.error, []
            while error is not None:
                reasons.append(_abridged(error.message.strip()))
                error = error.cause
            messages.append(f"{event.step_key}: {' Caused by: '.join(reasons)}")
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data  # AssetCheckEvaluation
            if not evaluation.passed and evaluation.severity.value == "ERROR":
                messages.append(
                    f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed: "
                    f"{evaluation.description or ''}"
                )
    return messages


def recalculation_job(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The job that recalculates start..end: rescoring when only the scoring definition
    changed (orchestration/dbt/paths.py), the full recalculation otherwise; and why."""
    from customer_health.config import load_settings
    from customer_health.manifest import load_manifest

    settings = load_settings()
    choice = choose_path(
        settings.duckdb_path, start, end, settings.seeds_dir, load_manifest(settings.manifest_path)
    )
    job = RESCORE_JOB_NAME if choice.path is RunPath.RESCORE else RECALCULATION_JOB_NAME
    return job, choice.reason


def main(argv: list[str] | None = None) -> int:
    from orchestration.calibration import CALIBRATION_JOB_NAME

    jobs = [DAILY_JOB_NAME, INTRADAY_JOB_NAME, RECALCULATION_JOB_NAME, RESCORE_JOB_NAME,
            WEEKLY_JOB_NAME, CALIBRATION_JOB_NAME]  # fmt: skip
    parser = argparse.ArgumentParser(prog="python -m orchestration.run", description=__doc__.splitlines()[0])
    parser.add_argument("job", nargs="?", default=DAILY_JOB_NAME, choices=jobs)
    parser.add_argument("--start", default=None, help="first day (ISO); default yesterday for daily jobs")
    parser.add_argument("--end", default=None, help="last day (ISO, inclusive); default: --start")
    parser.add_argument("--tick", action="store_true", help="let the job's sensor decide (intraday job)")
    args = parser.parse_args(argv)
    job = args.job
    if args.tick:
        try:
            result, skipped = tick_and_run(job)
        except NoSensorError as error:
            parser.error(str(error))
        if result is None:
            print(f"{job}: not run: {skipped}")
            return 0
    else:
        default = {WEEKLY_JOB_NAME: None, CALIBRATION_JOB_NAME: None, INTRADAY_JOB_NAME: today()}.get(
            job, yesterday()
        )
        start = args.start or (default.isoformat() if default else None)
        try:
            window = parse_window(start, args.end or start) if start else (None, None)
        except UnsafeValueError as error:
            parser.error(str(error))
        if job == RECALCULATION_JOB_NAME and window[0] is not None:
            job, reason = recalculation_job(*window)
            print(f"{job}: {reason}")
        try:
            result = run_job(job, *window, tags={TRIGGER_TAG: "manual"})
        except WindowError as error:
            parser.error(str(error))
    if not result.success:
        print("\n".join([f"{job} failed:", *failure_messages(result)]), file=sys.stderr)
        return 1
    path = result.dagster_run.tags.get(PATH_TAG)
    print(f"{job}: success (run {result.run_id}" + (f", {path} path" if path else "") + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
