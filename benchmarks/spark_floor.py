"""The scan floor on Spark and on DuckDB, over the same Parquet files: measured per-row rates
for estimating what the Spark target needs at a size the project cannot run on Spark here.

The floor is the one in benchmarks/run.py: product events aggregated by account and day,
plain SQL, no dbt. Both engines read the same Parquet export of a benchmark world's
product.tracks and product.users (DuckDB's own floor in run.py reads its native tables; the
Parquet copy is what a Spark cluster would read). Run with the Spark venv:

    .venv-spark/bin/python benchmarks/spark_floor.py --duckdb-path WORLD/bench.duckdb \\
        --work-dir /tmp/spark-floor --output benchmarks/results/spark-floor-100000.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # run as a script: the project's packages
from benchmarks.commands import SCAN_FLOOR_SQL  # noqa: E402

# The floor's query over the Parquet views: Spark SQL and DuckDB read it alike.
# The Parquet copy names the event's time `event_at` (Spark quotes identifiers differently).
FLOOR_SQL = (
    SCAN_FLOOR_SQL.replace("product.tracks", "tracks")
    .replace("product.users", "users")
    .replace('t."timestamp"', "t.event_at")
)


def cpu_seconds() -> float:
    """CPU of this process and its live descendants (Spark's JVM is a child of the driver)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
    # After the command name: [1] is the parent pid, [11] and [12] user and system ticks.
    tree, grew = {os.getpid()}, True
    while grew:
        children = {pid for pid, fields in stats.items() if int(fields[1]) in tree} - tree
        tree, grew = tree | children, bool(children)
    ticks = sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in tree if pid in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def export(duckdb_path: Path, work: Path) -> tuple[dict[str, Path], int, float]:
    import duckdb

    work.mkdir(parents=True, exist_ok=True)
    files = {"tracks": work / "tracks.parquet", "users": work / "users.parquet"}
    started = time.monotonic()
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        con.execute(f"set temp_directory = '{work / 'duckdb_tmp'}'")
        tracks = 'select user_id, "timestamp" as event_at from product.tracks'
        con.execute(f"copy ({tracks}) to '{files['tracks']}' (format parquet)")
        con.execute(f"copy (select id, account_id from product.users) to '{files['users']}' (format parquet)")
        rows = con.execute(f"select count(*) from '{files['tracks']}'").fetchone()[0]
    return files, int(rows), time.monotonic() - started


def time_runs(run: Callable[[], object], repeats: int) -> list[tuple[float, float, int]]:
    """(wall s, CPU s, result) of each run."""
    measured = []
    for _ in range(repeats):
        cpu, started = cpu_seconds(), time.monotonic()
        result = run()
        measured.append((time.monotonic() - started, cpu_seconds() - cpu, int(result)))
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb-path", type=Path, required=True, help="a benchmark world's warehouse")
    parser.add_argument("--work-dir", type=Path, required=True, help="for the Parquet export (removed after)")
    parser.add_argument("--output", type=Path, required=True, help="the JSON report")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    files, rows, export_seconds = export(args.duckdb_path, args.work_dir)
    report: dict = {"events": rows, "export_seconds": round(export_seconds, 1), "cores": os.cpu_count()}
    try:
        import duckdb

        con = duckdb.connect()
        for name, path in files.items():
            con.execute(f"create view {name} as select * from '{path}'")
        duck = time_runs(lambda: con.execute(FLOOR_SQL).fetchone()[0], args.repeats)

        from tools.spark.env import start_session

        os.environ.setdefault("HEALTH_SPARK_DRIVER_MEMORY", "8g")
        os.environ.setdefault("HEALTH_SPARK_SHUFFLE_PARTITIONS", "8")
        spark = start_session("customer-health-floor", args.work_dir / "spark")
        try:
            for name, path in files.items():
                spark.read.parquet(str(path)).createOrReplaceTempView(name)
            sparked = time_runs(lambda: spark.sql(FLOOR_SQL).collect()[0][0], args.repeats)
        finally:
            spark.stop()
    finally:
        shutil.rmtree(args.work_dir, ignore_errors=True)
    if {r for _, _, r in duck} != {r for _, _, r in sparked}:
        raise SystemExit(f"the engines disagree: DuckDB {duck}, Spark {sparked}")
    for engine, runs in (("duckdb", duck), ("spark_local", sparked)):
        walls = sorted(wall for wall, _, _ in runs)
        median = walls[len(walls) // 2]
        report[engine] = {
            "wall_seconds": [round(wall, 2) for wall, _, _ in runs],
            "cpu_seconds": [round(cpu, 1) for _, cpu, _ in runs],
            "median_wall_seconds": round(median, 2),
            "rows_per_second": round(rows / median),
        }
    report["account_days"] = duck[0][2]
    report["spark_over_duckdb"] = round(
        report["spark_local"]["median_wall_seconds"] / report["duckdb"]["median_wall_seconds"], 2
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
