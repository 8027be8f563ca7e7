"""The demo: generate a book of business, run the production pipeline on it, show the result.

    python -m orchestration.demo [--accounts 1000] [--days 540] [--window-days 450]

The defaults hold enough history for the back-test, the churn-risk model and calibration to
train: 15 months of scores, so that 90 days before each outcome of the calibration's training
period there is a score, with about 40 churned renewal points to learn from and the last
--calibration-holdout-days of outcomes to judge on (docs/decisions/0104).

Everything runs on the embedded default: one DuckDB file (HEALTH_DUCKDB_PATH, default
warehouse/health.duckdb), started from scratch, and the serving copy for BI
(HEALTH_SERVING_DIR, default serving/). The pipeline is the Dagster code location itself:
the daily job over the whole window as one run (raw checks, dbt build with its tests, the
blocking Great Expectations checks, the publication, alert delivery), then the weekly job
(the churn model), then the calibration job (a candidate definition judged on held-out
outcomes). The summary is read from what was published.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Any

from customer_health import config
from customer_health.calibrate.store import latest_report
from customer_health.reports import summary
from customer_health.reports.prediction import calibration_summary
from orchestration.calibration import CALIBRATION_JOB_NAME
from orchestration.jobs import DAILY_JOB_NAME, TRIGGER_TAG, WEEKLY_JOB_NAME
from orchestration.run import WindowError, check_window, failure_messages, instance, run_job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=540, help="days of generated history")
    parser.add_argument("--window-days", type=int, default=450, help="days of health to compute")
    parser.add_argument(
        "--calibration-holdout-days",
        type=int,
        default=120,
        help="days of outcomes the calibration is judged on and never trained on",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bad-rows-rate", type=float, default=0.01)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None, help="default yesterday")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the raw data and warehouse")
    parser.add_argument("--quiet", action="store_true", help="no summary (the test command)")
    args = parser.parse_args(argv)
    if args.window_days < 1:
        parser.error(f"--window-days must be at least 1 (got {args.window_days})")
    if not args.skip_generate:
        from healthgen.generator import check_size

        try:
            check_size(args.accounts, args.days, args.bad_rows_rate)
        except ValueError as error:
            parser.error(str(error))

    end_date = args.end_date or config.yesterday()
    start_date = end_date - dt.timedelta(days=args.window_days - 1)
    try:  # before anything is generated or deleted
        check_window(daily_job(), start_date, end_date)
    except WindowError as error:
        parser.error(str(error))
    warehouse = config.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if not args.skip_generate:
        from healthgen.generator import generate

        for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
            leftover.unlink(missing_ok=True)  # a new book of business starts a new warehouse
        print(f"Generating demo data: {args.accounts} accounts x {args.days} days -> {warehouse}")
        generate(
            duckdb_path=str(warehouse),
            accounts=args.accounts,
            days=args.days,
            seed=args.seed,
            bad_rows_rate=args.bad_rows_rate,
            end_date=end_date,
        )
    from customer_health.manifest import prepare

    prepare()
    dagster_instance = instance()
    jobs = (
        (DAILY_JOB_NAME, (start_date, end_date)),
        (WEEKLY_JOB_NAME, (None, None)),
        (CALIBRATION_JOB_NAME, (None, None)),
    )
    for job_name, window in jobs:
        print(f"Running {job_name}" + (f" over {window[0]} .. {window[1]}" if window[0] else ""), flush=True)
        if job_name == CALIBRATION_JOB_NAME:
            result = _calibrate(dagster_instance, args.calibration_holdout_days)
        else:
            result = run_job(job_name, *window, dagster_instance=dagster_instance, tags={TRIGGER_TAG: "demo"})
        if not result.success:
            print("\n".join([f"{job_name} failed:", *failure_messages(result)]), file=sys.stderr)
            return 1
    print(
        f"\nBuilt, checked and published health for {start_date} .. {end_date} "
        f"in {time.monotonic() - started:.0f} s (Dagster runs in {dagster_instance.root_directory})\n"
    )
    if not args.quiet:
        print(summary.render(warehouse))
        latest = latest_report(config.serving_dir())
        print("\n" + calibration_summary(latest[0] if latest else None))
    return 0


def daily_job() -> Any:
    """The daily job of the code location, as the demo's environment configures it."""
    from customer_health.manifest import prepare

    prepare()  # first: importing the code location loads the manifest (a fresh clone has none)
    from orchestration.definitions import build_definitions

    return build_definitions().resolve_job_def(DAILY_JOB_NAME)


def _calibrate(dagster_instance: Any, holdout_days: int) -> Any:
    """The calibration job, judged on the last `holdout_days` of outcomes."""
    from orchestration.definitions import build_definitions

    job = build_definitions().resolve_job_def(CALIBRATION_JOB_NAME)
    run_config = {"ops": {"calibrate_definition": {"config": {"holdout_days": holdout_days}}}}
    return job.execute_in_process(
        run_config=run_config, instance=dagster_instance, tags={TRIGGER_TAG: "demo"}, raise_on_error=False
    )


if __name__ == "__main__":
    raise SystemExit(main())
