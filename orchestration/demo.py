"""The demo: generate a book of business, run the production pipeline on it, show the result.

    python -m orchestration.demo [--accounts 300] [--days 400] [--window-days 180]

Everything runs on the embedded default: one DuckDB file (HEALTH_DUCKDB_PATH, default
warehouse/health.duckdb), started from scratch, and the serving copy for BI
(HEALTH_SERVING_DIR, default serving/). The pipeline is the Dagster code location itself:
the daily job over the whole window as one run (raw checks, dbt build with its tests, the
blocking Great Expectations checks, the publication, alert delivery), then the weekly job
(the churn model). The summary is read from what was published.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from customer_health import config
from customer_health.reports import summary
from orchestration.jobs import DAILY_JOB_NAME, TRIGGER_TAG, WEEKLY_JOB_NAME
from orchestration.run import failure_messages, instance, run_job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--days", type=int, default=400, help="days of generated history")
    parser.add_argument("--window-days", type=int, default=180, help="days of health to compute")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bad-rows-rate", type=float, default=0.01)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None, help="default yesterday")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the raw data and warehouse")
    parser.add_argument("--quiet", action="store_true", help="no summary (the test command)")
    args = parser.parse_args(argv)

    end_date = args.end_date or config.yesterday()
    start_date = end_date - dt.timedelta(days=args.window_days - 1)
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
    for job_name, window in ((DAILY_JOB_NAME, (start_date, end_date)), (WEEKLY_JOB_NAME, (None, None))):
        print(f"Running {job_name}" + (f" over {window[0]} .. {window[1]}" if window[0] else ""), flush=True)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
