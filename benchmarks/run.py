"""Benchmark suite: how fast, how big, and how close to the floor.

For one size, generates data, runs each phase as a separate process (the production
pipeline: a job of the Dagster code location, `python -m orchestration.run`, with the real
dbt CLI, the Great Expectations checks and the publication), and writes a JSON and a
Markdown report: phase, wall seconds, CPU seconds, rows processed,
rows/s, peak memory of the process tree (sum of the RSS of every process in the phase's
process group, sampled every 0.1 s), the load average, and the slowest dbt nodes of each
phase (from run_results.json).

    python benchmarks/run.py --accounts 1000            # 1,000 accounts x 730 days
    python benchmarks/run.py --accounts 10000
    python benchmarks/run.py --accounts 100000 --large  # long; kept out of CI
    python benchmarks/run.py --smoke                    # tiny: CI checks the report only (no
                                                      # recalculation, rescore, single-day runs or
                                                      # weekly models)
    python benchmarks/run.py --accounts 10000 --phases intraday   # generation, one build, intraday
    python benchmarks/run.py --accounts 10000 --phases daily      # generation, full build, daily, floor
    python benchmarks/run.py --accounts 100000 --days 365 --large --phases scale  # no single-day,
                                                      # weekly or intraday phases

Phases: data generation; full build (window of --window-days, default 180, ending
yesterday-of-the-data); one daily incremental run (the last day only, after a build up
to the day before); the 180-day recalculation as one run; the same days as single-day
runs (all of them at small sizes, a sample at large sizes, extrapolated and marked so);
the dashboard (every page computed on the publication the daily run left, a first visit
with Streamlit's caches empty and the next: benchmarks/dashboard_phase.py); the scan floor
(DuckDB alone aggregating product.tracks by account and day once, plain SQL, no dbt); the
weekly models (churn model training); intraday (one hour of events lands
the next morning, the intraday sensor and job publish today's partial health and alerts:
benchmarks/intraday_phase.py). Ratios in the same run:
recalculation / scan floor, separate runs / one run, daily run / recalculation.

The daily, recalculation and single-day runs are what the scheduler runs: the jobs
health_daily_job / health_recalculation_job over the window's partitions (one run each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # run as a script: the project's packages
from benchmarks.commands import (  # noqa: E402
    changed_project,
    count,
    floor_command,
    git_commit,
    job_command,
    slowest_nodes,
)
from benchmarks.intraday_phase import run_intraday_phase  # noqa: E402
from benchmarks.measure import Phase, PhaseFailed, Report, run_measured, to_markdown  # noqa: E402
from customer_health import config  # noqa: E402
from customer_health.manifest import project_env  # noqa: E402

RESULTS_DIR = PROJECT_DIR / "benchmarks" / "results"


def single_day_runs(
    args: argparse.Namespace, recalc_start: dt.date, rows_scored: int, env: dict[str, str]
) -> Phase:
    """The window's days as separate single-day daily runs (a sample at large sizes,
    extrapolated to every day and marked so)."""
    days = [recalc_start + dt.timedelta(days=i) for i in range(args.window_days)]
    sample = (
        days
        if args.single_day_sample >= len(days)
        else days[:: max(1, len(days) // args.single_day_sample)][: args.single_day_sample]
    )
    started = time.monotonic()
    peak = cpu_total = 0.0
    for day in sample:
        _, mib, cpu = run_measured(job_command("health_daily_job", day), env)
        peak = max(peak, mib)
        cpu_total += cpu
    sampled_wall = time.monotonic() - started
    extrapolated = len(sample) < len(days)
    separate = Phase(
        f"{args.window_days} single-day runs",
        round(sampled_wall / len(sample) * len(days), 2),
        rows_scored,
        round(peak, 1),
        f"{len(sample)} runs measured" + (", extrapolated to all days" if extrapolated else ""),
        extrapolated,
        load_average=os.getloadavg()[0],
        cpu_seconds=round(cpu_total / len(sample) * len(days), 1),
    )
    print(f"{separate.name:<42} {separate.wall_seconds:9.1f} s  {peak:8.0f} MiB  {separate.note}")
    return separate


def benchmark(args: argparse.Namespace, report: Report) -> Report:
    end = dt.date.fromisoformat(args.end_date)
    from customer_health.manifest import prepare

    prepare()  # the code location reads the manifest
    work = Path(tempfile.mkdtemp(prefix="health-bench-"))
    duckdb_path = work / "bench.duckdb"
    env = dict(os.environ)
    env.update(
        {
            **config.world_env(duckdb_path, work),
            # The project's clock: the morning after the last day of data.
            "HEALTH_NOW": f"{end + dt.timedelta(days=1)}T06:00:00",
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "HEALTH_DBT_TARGET": "dev",
            # slowest_nodes reads every invocation of a phase (up to 300: decision 0013).
            "HEALTH_DBT_KEEP_INVOCATIONS": "100000",
        }
    )
    python = sys.executable

    def phase(
        name: str,
        command: list[str],
        rows: int | None,
        note: str = "",
        runs: list[dict[str, str]] | None = None,
        env: dict[str, str] = env,
        expect: str | None = None,
    ) -> Phase:
        """Run a phase (with the extra environment of runs[0]); when it took under a minute
        and `runs` holds more, run those too: the median wall and the spread min-max. With
        `expect`, every run must print it (run_measured)."""
        since = time.time()
        runs = (runs or [{}])[: args.repeats]
        try:
            measures = [run_measured(command, {**env, **runs[0]}, expect)]
            if measures[0][0] < 60:
                measures += [run_measured(command, {**env, **extra}, expect) for extra in runs[1:]]
        except PhaseFailed as failure:
            failed = Phase(
                name,
                round(failure.wall, 2),
                rows,
                round(failure.peak_mib, 1),
                f"failed: {failure.last_line}",
                load_average=os.getloadavg()[0],
                cpu_seconds=round(failure.cpu, 1),
            )
            failed.slowest = slowest_nodes(work, since)
            report.phases.append(failed)
            report.failed = f"{name} failed after {failure.wall:,.0f} s ({failure.last_line})."
            raise
        walls = sorted(m[0] for m in measures)
        cpus = sorted(m[2] for m in measures)
        result = Phase(
            name,
            round(walls[len(walls) // 2], 2),
            rows,
            round(max(m[1] for m in measures), 1),
            note,
            load_average=os.getloadavg()[0],
            cpu_seconds=round(cpus[len(cpus) // 2], 1),
            runs=len(measures),
            spread=f"{walls[0]:.1f}-{walls[-1]:.1f}" if len(walls) > 1 else "",
        )
        result.slowest = slowest_nodes(work, since)
        report.phases.append(result)
        print(
            f"{name:<42} {result.wall_seconds:9.1f} s  {result.peak_memory_mib:8.0f} MiB  "
            f"{result.spread}  {note}"
        )
        return result

    try:
        phase(
            "data generation",
            [
                python,
                "-m",
                "healthgen",
                "--duckdb-path",
                str(duckdb_path),
                "--accounts",
                str(args.accounts),
                "--days",
                str(args.days),
                "--seed",
                "42",
                "--end-date",
                str(end),
                "--events-per-user-day",
                str(args.events_per_user_day),
                "--quiet",
            ],
            None,
        )
        report.events = count(duckdb_path, "select count(*) from product.tracks")
        report.phases[-1].rows_processed = report.events

        if args.phases == "intraday":
            phase(
                f"setup: daily run for {end} (from raw data)",
                job_command("health_daily_job", end),
                report.events,
                "what the intraday phase starts from",
            )
            report.intraday = run_intraday_phase(end, env, work, duckdb_path, phase, args.repeats)
            return report

        recalc_start = end - dt.timedelta(days=args.window_days - 1)
        phase(
            f"full build ({args.window_days}-day window, to {end - dt.timedelta(days=1)})",
            job_command(
                "health_recalculation_job", recalc_start - dt.timedelta(days=1), end - dt.timedelta(days=1)
            ),
            report.events,
        )
        daily = phase(
            "daily run (1 day)",
            job_command("health_daily_job", end),
            None,
            "incremental: only the new day",
            runs=[{}, {}, {}],
        )
        # The same run recomputing the 30 days it compares with (what every daily run did
        # before decision 0012): the before of that change, on the same world and load.
        span = None
        if not args.smoke:
            span = phase(
                "daily run (1 day), span recomputed",
                job_command("health_daily_job", end),
                None,
                "HEALTH_DAILY_SCORING_SPAN=full: its day and the 30 before it",
                runs=[{"HEALTH_DAILY_SCORING_SPAN": "full"}] * 3,
            )
        daily.rows_processed = count(
            duckdb_path, f"select count(*) from marts.fct_account_health_daily where as_of_date = '{end}'"
        )
        span_ratio = {}
        if span is not None:
            span.rows_processed = daily.rows_processed
            span_ratio = {
                "daily run / daily run, span recomputed": round(daily.wall_seconds / span.wall_seconds, 3)
            }
        # What users wait for on the publication the daily run left (benchmarks/dashboard_phase.py).
        pages = work / "dashboard.json"
        dashboard = [python, "-m", "benchmarks.dashboard_phase", "--json", str(pages)]
        phase(
            "dashboard: every page, first and next visit",
            [*dashboard, "--repeats", str(args.repeats)],
            None,
            "Streamlit AppTest on the publication, per page below",
        )
        report.dashboard = json.loads(pages.read_text())
        if args.phases == "daily":
            floor = phase(
                "scan floor (DuckDB: tracks by account and day)",
                floor_command(duckdb_path),
                report.events,
                runs=[{}, {}, {}],
            )
            report.ratios = {
                f"{p.name} / scan floor": round(p.wall_seconds / floor.wall_seconds, 2)
                for p in (daily, span)
                if p is not None
            } | span_ratio
            return report
        # The smoke leaves out the recalculation: the full build is a run of the same job over
        # the same kind of window, one more pipeline process (~36 s of CI) that runs no code
        # of this harness the full build has not run.
        recalc = None
        if not args.smoke:
            recalc = phase(
                f"{args.window_days}-day recalculation (one run)",
                job_command("health_recalculation_job", recalc_start, end),
                None,
            )
        rows_scored = count(
            duckdb_path,
            f"select count(*) from marts.fct_account_health_daily where as_of_date >= '{recalc_start}'",
        )
        if recalc is not None:
            recalc.rows_processed = rows_scored

        separate = None
        if args.phases == "all":
            # The smoke leaves out the single-day runs and the weekly job: at its size each is
            # one more pipeline process of the kind the other phases already run (~30 s of CI).
            if not args.smoke:
                separate = single_day_runs(args, recalc_start, rows_scored, env)
                report.phases.append(separate)
                phase("weekly models (churn model training)", job_command("health_weekly_job"), None)
            report.intraday = run_intraday_phase(end, env, work, duckdb_path, phase, args.repeats)
        # A scoring-only definition change (a pillar weight), rescored from the stored
        # indicator values; the repeats alternate between two changed definitions, so each
        # run is again a scoring change against the one before.
        # Prepared only as far as the repeats need them (a project copy and a dbt parse each).
        # The smoke leaves it out: a project copy, its dbt parse and one more pipeline process
        # (~40 s of CI); tests/test_recalculation_paths.py runs the rescore path on the same
        # changed definition (changed_project).
        rescore = None
        if not args.smoke:
            steps = (1, 2) if args.repeats > 1 else (1,)
            changed = [project_env(changed_project(work / f"definition_{step}", step)) for step in steps]
            rescore = phase(
                f"{args.window_days}-day rescore (scoring definition changed)",
                job_command("health_recalculation_job", recalc_start, end),
                rows_scored,
                "the rescoring path: no event history read",
                runs=[changed[0], changed[-1], changed[0]],
                # `python -m orchestration.run` names the path the run took.
                expect=", rescore path)",
            )
        floor = phase(
            "scan floor (DuckDB: tracks by account and day)",
            floor_command(duckdb_path),
            report.events,
            runs=[{}, {}, {}],
        )
        report.ratios = {
            f"{p.name} / scan floor": round(p.wall_seconds / floor.wall_seconds, 2)
            for p in report.phases[1:-1]
        } | span_ratio
        if recalc is not None:
            report.ratios["daily run / recalculation"] = round(daily.wall_seconds / recalc.wall_seconds, 3)
            if rescore is not None:
                report.ratios["rescore / recalculation"] = round(
                    rescore.wall_seconds / recalc.wall_seconds, 3
                )
            if separate is not None:
                report.ratios["separate single-day runs / one run"] = round(
                    separate.wall_seconds / recalc.wall_seconds, 2
                )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--window-days", type=int, default=180)
    parser.add_argument(
        "--single-day-sample",
        type=int,
        default=None,
        help="single-day runs to measure (default: all up to 300 accounts, else 20)",
    )
    parser.add_argument("--end-date", default=str(dt.date(2026, 11, 21)))
    parser.add_argument(
        "--events-per-user-day",
        type=float,
        default=4.0,
        help="the generator's mean product events per active user-day (denser data: more events per account)",
    )
    parser.add_argument("--large", action="store_true", help="allow more than 10,000 accounts")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=(
            "tiny run for CI: 40 accounts x 90 days, 5-day window, each phase once; without the "
            "recalculation, the rescore, the single-day runs and the weekly models"
        ),
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each phase that takes under a minute (median, spread)"
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the temporary warehouse")
    parser.add_argument(
        "--phases",
        choices=["all", "intraday", "daily", "scale"],
        default="all",
        help=(
            "intraday: data generation, one daily run and the intraday phase only; daily: data "
            "generation, the full build, the daily run and the scan floor; scale: all but the "
            "single-day runs, the weekly models and intraday (the 100,000-account table)"
        ),
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.accounts, args.days, args.window_days = 40, 90, 5
        args.repeats = 1
    if args.accounts > 10_000 and not args.large:
        parser.error("more than 10,000 accounts takes long: pass --large")
    if args.single_day_sample is None:
        args.single_day_sample = args.window_days if args.accounts <= 300 else 20

    report = Report(
        accounts=args.accounts,
        days=args.days,
        window_days=args.window_days,
        events_per_user_day=args.events_per_user_day,
        commit=git_commit(),
        machine=f"{platform.machine()}, {os.cpu_count()} cores",
        started_at=config.now().isoformat(timespec="seconds"),
    )
    failure: PhaseFailed | None = None
    try:
        benchmark(args, report)
    except PhaseFailed as error:  # the report keeps the phases that ran, and says where it stopped
        failure = error
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{'smoke' if args.smoke else report.accounts}"
    if args.events_per_user_day != 4.0:
        stem += f"-dense{args.events_per_user_day:g}"
    if args.phases != "all":
        stem += f"-{args.phases}"
    data = asdict(report)
    for phase, raw in zip(report.phases, data["phases"], strict=True):
        raw["rows_per_second"] = phase.rows_per_second
    (args.output_dir / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.output_dir / f"{stem}.md").write_text(to_markdown(report))
    print("\n" + to_markdown(report))
    if failure is not None:
        print(failure.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
