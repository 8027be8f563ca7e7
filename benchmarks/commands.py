"""What the benchmark's phases run: the commands (a job of the code location, the scan
floor), a changed copy of the dbt project for the rescore, and what a phase reads back
(row counts, the slowest dbt nodes). benchmarks/run.py runs them as phases."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from customer_health.manifest import copy_project, prepare_copy

PROJECT_DIR = Path(__file__).resolve().parent.parent


def slowest_nodes(work: Path, since: float, top: int = 8) -> list[tuple[str, float]]:
    """The slowest dbt nodes of a phase: every run_results.json its dbt invocations wrote
    (dagster-dbt gives each invocation its own target directory under DBT_TARGET_PATH)."""
    timed: list[tuple[str, float]] = []
    for path in (work / "dbt_target").rglob("run_results.json"):
        if path.stat().st_mtime >= since:
            timed += [
                (r["unique_id"].split(".")[-1], float(r["execution_time"]))
                for r in json.loads(path.read_text())["results"]
            ]
    timed.sort(key=lambda item: item[1], reverse=True)
    return [(name, round(seconds, 2)) for name, seconds in timed[:top]]


def floor_command(duckdb_path: Path) -> list[str]:
    """DuckDB alone aggregating the product events by account and day, plain SQL."""
    script = (
        "import duckdb,sys; con=duckdb.connect(sys.argv[1], read_only=True);"
        "print(con.execute(sys.argv[2]).fetchone()[0])"
    )
    return [sys.executable, "-c", script, str(duckdb_path), SCAN_FLOOR_SQL]


def edit_seed(seeds: Path, name: str, column: str, change: Callable[[str], str]) -> None:
    """Change one value of a seed: `column` of its first row, to change(old value)."""
    path = seeds / f"{name}.csv"
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = change(rows[0][column])
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def changed_project(target: Path, step: int) -> Path:
    """A copy of the dbt project whose first pillar weight is raised by 5 x step (a scoring
    change), with its manifest prepared."""
    copy_project(target)
    edit_seed(
        target / "seeds" / "definitions",
        "health_pillar_weights",
        "weight",
        lambda w: str(float(w) + 5 * step),
    )
    prepare_copy(target)
    return target


def job_command(job: str, start: dt.date | None = None, end: dt.date | None = None) -> list[str]:
    """One run of a job of the code location, over the partitions start..end."""
    window = ["--start", str(start), "--end", str(end or start)] if start else []
    return [sys.executable, "-m", "orchestration.run", job, *window]


def count(duckdb_path: Path, sql: str) -> int:
    import duckdb

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


SCAN_FLOOR_SQL = """
select count(*) from (
    select u.account_id, cast(t."timestamp" as date) as day, count(*) as events,
        count(distinct t.user_id) as users
    from product.tracks as t
    inner join product.users as u on t.user_id = u.id
    group by 1, 2
)
"""
