"""Build one generated dataset on DuckDB and on Spark and check that the public marts agree.

    python -m tools.spark.equivalence [--work-dir D] [--accounts 80] [--days 240]
        [--seed 7] [--end-date 2026-10-31] [--window-days 30] [--results-dir benchmarks/results]

Steps, all in a fresh work directory (default: a temporary one):
1. generate the raw sources into a DuckDB file (python -m healthgen);
2. load them into a fresh local Spark catalog (python -m tools.spark.load);
3. `dbt build` (models, snapshot, seeds, data tests, unit tests) on DuckDB, then on
   Spark (`--target spark`), with the same window vars; wall time of each; then, on
   each engine, an incremental run of the daily models (`--selector health_daily`) for
   the last --rerun-days days of the window (0: none), which on Spark takes dbt-spark's
   insert_overwrite path and the window's partition drop that the first build never
   reaches (it creates the tables);
4. export every mart of schema `marts` from Spark to Parquet and compare it in DuckDB
   with the DuckDB build: rows matched on the mart's grain (its unique_combination or
   unique data test), numbers within 1e-6 (relative 1e-9 above 1000), everything else
   (ids, bands, texts, dates) equal; marts without a declared grain compare as multisets.
Prints a summary and writes <results-dir>/spark_equivalence.json and .md. Exit status 1
on any mismatch or failed build. Needs pyspark (requirements-spark.txt).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from customer_health import config
from customer_health.safety import safe_identifier
from tools.spark.env import PROJECT_DIR, start_session

# The `where` config every data test carries (dbt_project.yml, macros/tests/run_window_where.sql):
# the run's window, which on a build of the whole window is every row.
RUN_WINDOW_WHERE = "__run_window__"
ABS_TOLERANCE = 1e-6
REL_TOLERANCE = 1e-9
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
)


@dataclasses.dataclass
class MartResult:
    mart: str
    key_columns: list[str]
    rows_duckdb: int
    rows_spark: int
    only_in_duckdb: int = 0
    only_in_spark: int = 0
    duplicate_keys: int = 0
    mismatched_rows: int = 0
    mismatched_columns: dict[str, int] = dataclasses.field(default_factory=dict)
    max_score_diff: float = 0.0
    max_numeric_diff: float = 0.0
    examples: list[str] = dataclasses.field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (
            self.rows_duckdb == self.rows_spark
            and not self.only_in_duckdb
            and not self.only_in_spark
            and not self.duplicate_keys
            and not self.mismatched_rows
        )


def _run(command: list[str], env: dict[str, str], log: Path) -> float:
    """Run a command (output to `log`); its wall time in seconds. Raises on failure."""
    started = time.perf_counter()
    with log.open("w") as out:
        completed = subprocess.run(
            command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        tail = log.read_text()[-4000:]
        raise RuntimeError(f"{' '.join(command[:4])} ... failed ({completed.returncode}); log {log}:\n{tail}")
    return seconds


def _dbt_summary(log: Path) -> str:
    lines = [line for line in log.read_text().splitlines() if "Done. PASS=" in line]
    return lines[-1].split("  ", 1)[-1].strip() if lines else "(no summary)"


def mart_keys(manifest_path: Path) -> dict[str, list[str]]:
    """Every model of schema marts -> its grain: the columns of its unique_combination
    or composite primary_key test (the shortest; tests with a `where` do not count), else
    its single-column unique or primary_key test, else [] (no declared grain)."""
    manifest = json.loads(manifest_path.read_text())
    marts = {
        node["unique_id"]: node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }
    keys: dict[str, list[str]] = {name: [] for name in marts.values()}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        owner = node.get("attached_node") or ""
        if node["resource_type"] != "test" or owner not in marts:
            continue
        name = marts[owner]
        if node["config"].get("where") not in (None, "", RUN_WINDOW_WHERE):
            continue  # unique only on a subset of the rows (the run's window is all of a build)
        if meta.get("name") in ("unique_combination", "primary_key") and meta["kwargs"].get("columns"):
            columns = list(meta["kwargs"]["columns"])
            if not keys[name] or len(columns) < len(keys[name]) or len(keys[name]) == 1:
                keys[name] = columns
        elif meta.get("name") in ("unique", "primary_key") and not keys[name]:
            keys[name] = [node["column_name"]]
    return keys


def export_spark_marts(spark_dir: Path, marts: list[str], export_dir: Path) -> list[str]:
    """Write each mart present on Spark to <export_dir>/<mart>/ as Parquet; their names."""
    spark = start_session("customer-health-equivalence", spark_dir)
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    present = []
    try:
        existing = {row.tableName for row in spark.sql("show tables in marts").collect()}
        for mart in marts:
            if mart in existing:
                spark.table(f"marts.{mart}").write.mode("overwrite").parquet(str(export_dir / mart))
                present.append(mart)
    finally:
        spark.stop()
    return present


def _column_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"describe {relation}").fetchall()}


def _value_sql(column: str, kind: str, alias: str) -> str:
    if kind.startswith("TIMESTAMP"):
        return f'cast(cast({alias}."{column}" as timestamp) as varchar)'
    return f'cast({alias}."{column}" as varchar)'


def compare_mart(con: duckdb.DuckDBPyConnection, mart: str, keys: list[str], export_dir: Path) -> MartResult:
    safe_identifier(mart, "mart")
    con.execute(
        f"create or replace temp view spark_{mart} as "
        f"select * from read_parquet('{export_dir / mart}/*.parquet')"
    )
    duck, spark = f"marts.{mart}", f"spark_{mart}"
    duck_types, spark_types = _column_types(con, duck), _column_types(con, spark)
    columns = [c for c in duck_types if c in spark_types]
    result = MartResult(
        mart,
        keys,
        con.execute(f"select count(*) from {duck}").fetchone()[0],
        con.execute(f"select count(*) from {spark}").fetchone()[0],
    )
    missing = sorted(set(duck_types) ^ set(spark_types))
    if missing:
        result.mismatched_columns["(column sets differ)"] = len(missing)
        result.examples.append(f"columns on one engine only: {missing}")
    numeric = [c for c in columns if duck_types[c].startswith(NUMERIC_TYPES)]
    if not keys:
        # No declared grain: multisets of rows, numbers rounded to the tolerance.
        def row_sql(alias: str, types: dict[str, str]) -> str:
            parts = [
                f'round(cast({alias}."{c}" as double), 6)' if c in numeric else _value_sql(c, types[c], alias)
                for c in columns
            ]
            return ", ".join(parts)

        rows_d = f"select {row_sql('d', duck_types)} from {duck} as d"
        rows_s = f"select {row_sql('s', spark_types)} from {spark} as s"
        only_duck = con.execute(f"select count(*) from ({rows_d} except all {rows_s})").fetchone()[0]
        only_spark = con.execute(f"select count(*) from ({rows_s} except all {rows_d})").fetchone()[0]
        result.only_in_duckdb, result.only_in_spark = only_duck, only_spark
        return result

    key_d = ", ".join(_value_sql(k, duck_types[k], "d") for k in keys)
    key_s = ", ".join(_value_sql(k, spark_types[k], "s") for k in keys)
    for relation, key_sql, alias in ((duck, key_d, "d"), (spark, key_s, "s")):
        result.duplicate_keys += con.execute(
            f"select count(*) from (select {key_sql} from {relation} as {alias} "
            f"group by all having count(*) > 1)"
        ).fetchone()[0]
    join = " and ".join(
        f"{_value_sql(k, duck_types[k], 'd')} = {_value_sql(k, spark_types[k], 's')}" for k in keys
    )
    pair_columns = ", ".join(f'd."{c}" as "d_{c}", s."{c}" as "s_{c}"' for c in columns)
    in_d = " or ".join(f'd."{k}" is not null' for k in keys)
    in_s = " or ".join(f's."{k}" is not null' for k in keys)
    con.execute(
        f"create or replace temp table pairs as select {pair_columns}, "
        f"({in_d}) as in_d, ({in_s}) as in_s "
        f"from {duck} as d full outer join {spark} as s on {join}"
    )
    result.only_in_duckdb = con.execute("select count(*) from pairs where not in_s").fetchone()[0]
    result.only_in_spark = con.execute("select count(*) from pairs where not in_d").fetchone()[0]
    for label, where in (("only on DuckDB", "not in_s"), ("only on Spark", "not in_d")):
        sides = "d" if label.endswith("DuckDB") else "s"
        key_list = ", ".join(f'"{sides}_{k}"' for k in keys)
        for row in con.execute(f"select {key_list} from pairs where {where} limit 3").fetchall():
            result.examples.append(f"{label}: {dict(zip(keys, row, strict=True))}")
    conditions = []
    for c in columns:
        if c in numeric:
            diff = f'abs(cast("d_{c}" as double) - cast("s_{c}" as double))'
            bad = (
                f'(("d_{c}" is null) <> ("s_{c}" is null) or '
                f'{diff} > greatest({ABS_TOLERANCE}, {REL_TOLERANCE} * abs(cast("d_{c}" as double))))'
            )
            max_diff = con.execute(
                f"select coalesce(max({diff}), 0) from pairs where in_d and in_s"
            ).fetchone()[0]
            if "score" in c or "share" in c:
                result.max_score_diff = max(result.max_score_diff, float(max_diff))
            else:
                result.max_numeric_diff = max(result.max_numeric_diff, float(max_diff))
        else:
            bad = (
                f"{_value_sql('d_' + c, duck_types[c], 'pairs')} is distinct from "
                f"{_value_sql('s_' + c, spark_types[c], 'pairs')}"
            )
        count = con.execute(f"select count(*) from pairs where in_d and in_s and {bad}").fetchone()[0]
        if count:
            result.mismatched_columns[c] = count
            key_list = ", ".join(f'"d_{k}"' for k in keys)
            for row in con.execute(
                f'select {key_list}, "d_{c}", "s_{c}" from pairs where in_d and in_s and {bad} limit 2'
            ).fetchall():
                result.examples.append(
                    f"{c} at {dict(zip(keys, row[:-2], strict=True))}: duckdb={row[-2]!r} spark={row[-1]!r}"
                )
        conditions.append(bad)
    if conditions:
        result.mismatched_rows = con.execute(
            f"select count(*) from pairs where in_d and in_s and ({' or '.join(conditions)})"
        ).fetchone()[0]
    return result


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Spark vs DuckDB: public marts on the same data",
        "",
        f"Dataset: {report['dataset']}; window {report['window']['start']} .. {report['window']['end']}.",
        f"Generated by `{report['command']}` on {report['generated_at']}.",
        "",
        "| step | seconds |",
        "|---|---:|",
        *[f"| {step} | {seconds:.1f} |" for step, seconds in report["wall_seconds"].items()],
        "",
        *[f"dbt {label}: {summary}  " for label, summary in report["dbt_summary"].items()],
        "",
        "| mart | grain | rows DuckDB | rows Spark | only DuckDB | only Spark | rows differing "
        "| max score diff | max other numeric diff | equal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in report["marts"]:
        lines.append(
            f"| {m['mart']} | {', '.join(m['key_columns']) or '(multiset)'} | {m['rows_duckdb']} | "
            f"{m['rows_spark']} | {m['only_in_duckdb']} | {m['only_in_spark']} | {m['mismatched_rows']} | "
            f"{m['max_score_diff']:.3g} | {m['max_numeric_diff']:.3g} | {'yes' if m['equal'] else '**no**'} |"
        )
    lines += ["", f"Max absolute score difference over all marts: {report['max_score_diff']:.3g}."]
    if report["duckdb_only_marts"]:
        lines.append(
            f"Marts on DuckDB only (not compared): {', '.join(report['duckdb_only_marts'])} "
            "(dbt Python models, disabled on Spark)."
        )
    problems = [e for m in report["marts"] for e in m["examples"]]
    lines += ["", f"Result: **{'equal' if report['equal'] else 'MISMATCH'}**."]
    if problems:
        lines += ["", "Mismatches (examples):", "", *[f"- {p}" for p in problems[:40]]]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tools.spark.equivalence", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--work-dir", type=Path, default=None, help="fresh work directory (default: temporary)")
    p.add_argument("--accounts", type=int, default=80)
    p.add_argument("--days", type=int, default=240)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bad-rows-rate", type=float, default=0.02)
    p.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 10, 31),
        help="last day of the data and of the window (default 2026-10-31)",
    )
    p.add_argument("--window-days", type=int, default=30)
    p.add_argument(
        "--rerun-days",
        type=int,
        default=3,
        help="then rerun the daily models incrementally for the window's last N days (0: no rerun)",
    )
    p.add_argument("--results-dir", type=Path, default=PROJECT_DIR / "benchmarks" / "results")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args(argv)


def run(a: argparse.Namespace) -> dict[str, Any]:
    work = (a.work_dir or Path(tempfile.mkdtemp(prefix="health-spark-"))).resolve()
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"work directory {work} is not empty: the check needs a fresh one")
    work.mkdir(parents=True, exist_ok=True)
    duckdb_path, spark_dir = work / "warehouse.duckdb", work / "spark"
    start = a.end_date - dt.timedelta(days=a.window_days - 1)
    window = json.dumps({"health_start_date": start.isoformat(), "health_end_date": a.end_date.isoformat()})
    bin_dir = Path(sys.executable).parent
    dbt = str(bin_dir / "dbt") if (bin_dir / "dbt").exists() else "dbt"
    env = dict(
        os.environ,
        HEALTH_DUCKDB_PATH=str(duckdb_path),
        HEALTH_SPARK_DIR=str(spark_dir),
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        DBT_PROJECT_DIR=str(PROJECT_DIR),
        # One clock for both engines (computed_at, today): the morning after the window.
        HEALTH_NOW=f"{a.end_date + dt.timedelta(days=1)}T06:00:00",
    )
    seconds: dict[str, float] = {}
    seconds["generate"] = _run(
        [
            sys.executable,
            "-m",
            "healthgen",
            "--duckdb-path",
            str(duckdb_path),
            "--accounts",
            str(a.accounts),
            "--days",
            str(a.days),
            "--seed",
            str(a.seed),
            "--bad-rows-rate",
            str(a.bad_rows_rate),
            "--end-date",
            a.end_date.isoformat(),
            "--quiet",
        ],
        env,
        work / "generate.log",
    )
    seconds["load raw into Spark"] = _run(
        [
            sys.executable,
            "-m",
            "tools.spark.load",
            "--duckdb-path",
            str(duckdb_path),
            "--spark-dir",
            str(spark_dir),
        ],
        env,
        work / "spark_load.log",
    )
    summaries = {}
    for engine, target in (("duckdb", "dev"), ("spark", "spark")):
        print(f"== dbt build on {engine} ...", flush=True)
        log = work / f"dbt_{engine}.log"
        seconds[f"dbt build {engine}"] = _run(
            [
                dbt,
                "build",
                "--target",
                target,
                "--target-path",
                str(work / f"target_{engine}"),
                "--log-path",
                str(work / f"logs_{engine}"),
                "--vars",
                window,
            ],
            dict(env, HEALTH_DBT_TARGET=target),
            log,
        )
        summaries[engine] = _dbt_summary(log)
        print(f"   {seconds[f'dbt build {engine}']:.1f} s: {summaries[engine]}", flush=True)
        if a.rerun_days > 0:
            rerun_start = a.end_date - dt.timedelta(days=a.rerun_days - 1)
            rerun_window = json.dumps(
                {"health_start_date": rerun_start.isoformat(), "health_end_date": a.end_date.isoformat()}
            )
            log = work / f"dbt_{engine}_rerun.log"
            step = f"dbt run {engine} (daily models, last {a.rerun_days} days)"
            seconds[step] = _run(
                [
                    dbt,
                    "run",
                    "--target",
                    target,
                    "--selector",
                    "health_daily",
                    "--target-path",
                    str(work / f"target_{engine}"),
                    "--log-path",
                    str(work / f"logs_{engine}"),
                    "--vars",
                    rerun_window,
                ],
                dict(env, HEALTH_DBT_TARGET=target),
                log,
            )
            summaries[f"{engine} rerun"] = _dbt_summary(log)
            print(f"   {step}: {seconds[step]:.1f} s: {summaries[f'{engine} rerun']}", flush=True)
    keys = mart_keys(work / "target_duckdb" / "manifest.json")
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        duck_marts = sorted(
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        )
    started = time.perf_counter()
    compared = export_spark_marts(spark_dir, duck_marts, work / "spark_marts")
    results: list[MartResult] = []
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for mart in compared:
            results.append(compare_mart(con, mart, keys.get(mart, []), work / "spark_marts"))
    seconds["export + compare"] = time.perf_counter() - started
    report: dict[str, Any] = {
        "command": "python -m tools.spark.equivalence " + " ".join(sys.argv[1:]),
        "generated_at": config.now().strftime("%Y-%m-%d %H:%M UTC"),
        "dataset": f"{a.accounts} accounts x {a.days} days, seed {a.seed}, bad-rows rate {a.bad_rows_rate}",
        "window": {"start": start.isoformat(), "end": a.end_date.isoformat()},
        "spark_master": os.environ.get("HEALTH_SPARK_MASTER", "local[2]"),
        "wall_seconds": {k: round(v, 1) for k, v in seconds.items()},
        "dbt_summary": summaries,
        "marts": [dict(dataclasses.asdict(r), equal=r.equal) for r in results],
        "duckdb_only_marts": [m for m in duck_marts if m not in compared],
        "max_score_diff": max((r.max_score_diff for r in results), default=0.0),
        "equal": bool(results) and all(r.equal for r in results),
        "work_dir": str(work),
    }
    if not a.keep and a.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    report = run(a)
    a.results_dir.mkdir(parents=True, exist_ok=True)
    (a.results_dir / "spark_equivalence.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = render_markdown(report)
    (a.results_dir / "spark_equivalence.md").write_text(markdown)
    print(markdown)
    return 0 if report["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
