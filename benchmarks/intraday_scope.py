"""Experiment behind docs/decisions/0401: rescore every account intraday, or only the
accounts with new data?

    python benchmarks/intraday_scope.py --duckdb-path W --now 2026-11-22T10:05:00 [--repeat 2]

W is a throw-away warehouse after an intraday run (`benchmarks/run.py --phases intraday
--keep` leaves one; its daily models are rewritten here). The daily models (dbt selector
health_daily) are run for today's window, alternately, N times each:

- `span`: every scored account, recomputing the whole scoring span (today and the 30 days
  before: what the nightly run does);
- `all`: every scored account, today and the day it compares with only
  (recompute_scoring_span false: what an intraday run does);
- `changed`: as `all`, on a copy of the project whose account spine (int_account_days)
  keeps only the accounts with events landed today (every daily model joins from that
  spine, so all of them shrink). It leaves out what a real subset path would add (finding
  the accounts with changed inputs in every source, their ancestors for the roll-ups,
  keyed deletes), so it is a lower bound of that path's cost.

Reported: dbt's wall and CPU seconds per variant and the slowest nodes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # run as a script: the project's packages
from customer_health.manifest import copy_project  # noqa: E402

SPINE = Path("models/intermediate/accounts/int_account_days.sql")
SCOPE_TABLE = "_experiment.changed_accounts"


def _project_copy(destination: Path) -> Path:
    project = copy_project(destination / "project")
    spine = project / SPINE
    sql = spine.read_text()
    assert sql.rstrip().endswith("select * from final"), "int_account_days changed shape"
    spine.write_text(
        sql.rstrip()[: -len("select * from final")]
        + f"select * from final\nwhere account_id in (select account_id from {SCOPE_TABLE})\n"
    )
    return project


def _changed_accounts(duckdb_path: Path, today: dt.date) -> int:
    import duckdb

    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute("create schema if not exists _experiment")
        connection.execute(
            f"""
            create or replace table {SCOPE_TABLE} as
            select distinct users.account_id
            from staging.base_product__tracks as tracks
            inner join staging.base_product__users as users on tracks.user_id = users.user_id
            where tracks.loaded_at >= ? and users.account_id is not null
            """,
            [today],
        )
        row = connection.execute(f"select count(*) from {SCOPE_TABLE}").fetchone()
    return int(row[0]) if row else 0


def _dbt(
    project: Path, duckdb_path: Path, now: str, today: dt.date, target: Path, span: bool = False
) -> tuple[float, float, list]:
    """One `dbt run` of the daily models for today; each variant keeps its own target (and
    so its partial parse: only the first run of a variant parses the whole project)."""
    env = {
        **os.environ,
        "HEALTH_DUCKDB_PATH": str(duckdb_path),
        "HEALTH_NOW": now,
        "HEALTH_DBT_TARGET": "dev",
        "DBT_PROFILES_DIR": str(project),
    }
    window = json.dumps(
        {
            "health_start_date": today.isoformat(),
            "health_end_date": today.isoformat(),
            "recompute_scoring_span": span,
        }
    )
    dbt = str(Path(sys.executable).with_name("dbt"))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(
        [dbt, "run", "--selector", "health_daily", "--vars", window, "--target-path", str(target)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(completed.stdout[-4000:])
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    results = json.loads((target / "run_results.json").read_text())["results"]
    slowest = sorted(
        ((r["unique_id"].split(".")[-1], round(r["execution_time"], 2)) for r in results),
        key=lambda item: -item[1],
    )[:5]
    return wall, cpu, slowest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb-path", type=Path, required=True)
    parser.add_argument("--now", required=True, help="HEALTH_NOW of the intraday run (ISO)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (the first parses)")
    args = parser.parse_args(argv)
    today = dt.datetime.fromisoformat(args.now).date()
    work = Path(tempfile.mkdtemp(prefix="intraday-scope-"))
    try:
        changed = _project_copy(work)
        accounts = _changed_accounts(args.duckdb_path, today)
        variants = {"span": (PROJECT_DIR, True), "all": (PROJECT_DIR, False), "changed": (changed, False)}
        measured: dict[str, list[tuple[float, float, list]]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, (project, span) in variants.items():
                target = work / f"target-{name}"
                measured[name].append(_dbt(project, args.duckdb_path, args.now, today, target, span))
                wall, cpu, slowest = measured[name][-1]
                print(f"{name:<8} wall {wall:6.1f} s  cpu {cpu:6.1f} s  {slowest}", flush=True)
        # Leave the warehouse as the project computes it.
        _dbt(PROJECT_DIR, args.duckdb_path, args.now, today, work / "target-all", span=False)
        summary = {
            "changed_accounts": accounts,
            "load_average": os.getloadavg()[0],
            **{
                name: {
                    "wall_seconds": [round(m[0], 1) for m in runs],
                    "cpu_seconds": [round(m[1], 1) for m in runs],
                    "slowest": runs[-1][2],
                }
                for name, runs in measured.items()
            },
        }
        print(json.dumps(summary, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
