"""Fault suite: the warehouse survives a killed build, reruns, windows built in pieces,
and a file held by another process.

(a) a 30-day window build killed with SIGKILL while the marts build, then rerun: every
    mart equals the clean build of those days, the session warehouse's (the pipeline's, over
    a window that holds them), row for row (content hashes);
(b) the same window built again over the session warehouse: identical;
(c) ten single-day runs = one ten-day run = a full refresh, and a window overlapping days
    built before, built again, changes nothing (the daily marts and their parents only, no
    tests; one parse for all runs);
(d) a run against a warehouse file another process holds for writing: a clear error,
    and the file is intact afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import duckdb
import pytest
from conftest import BUILD_NOW, END_DATE, PROJECT_DIR, dbt_bin, run_dbt, window_vars

W30 = (END_DATE - dt.timedelta(days=29), END_DATE)
TEN_DAYS = [END_DATE - dt.timedelta(days=9 - i) for i in range(10)]
DAILY_MARTS = ["fct_account_health_daily", "fct_indicator_scores_daily", "fct_hierarchy_health_daily"]
# Marts whose doubles come from order-dependent sums (plain sum() over doubles, whose last
# bits depend on the order DuckDB's threads add rows in) are compared at DIGITS with a
# warning; every other mart must be equal bit for bit. Empty: every mart sums with the
# macro exact_sum since the roll-ups (macros/hierarchy_rollup.sql) use it too.
FLOAT_ORDER_DEPENDENT: set[str] = set()
DIGITS = 9
KILLED_MODEL = "marts.fct_account_health_daily"
KILLED_MODEL_START = re.compile(r"START sql \w+ model " + re.escape(KILLED_MODEL) + r"\b")


# ---------------------------------------------------------------------------------------
# Content hashes


def _select(con: duckdb.DuckDBPyConnection, table: str, digits: int | None) -> str:
    if digits is None:
        return f"select cast(t as varchar) as row_text from marts.{table} as t"
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    parts = [
        f'round("{name}", {digits}) + 0.0' if kind in ("DOUBLE", "FLOAT", "REAL") else f'"{name}"'
        for name, kind in columns
    ]
    return f"select cast(row({', '.join(parts)}) as varchar) as row_text from marts.{table}"


def mart_hashes(
    path: Path, tables: list[str] | None = None, digits: int | None = None, days: list[dt.date] | None = None
) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted rows) per mart; `digits` rounds doubles; `days` keeps only
    those as_of_dates."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = tables or [
            t for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()
        ]  # fmt: skip
        hashes = {}
        for table in names:
            where = ""
            if days is not None:
                where = " where as_of_date in (select unnest(?::date[]))"
            sql = (
                "select count(*), md5(coalesce(string_agg(row_text, '\n' order by row_text), '')) "
                f"from ({_select(con, table, digits)}{where})"
            )
            hashes[table] = tuple(con.execute(sql, [days] if days is not None else []).fetchone())
        return hashes
    finally:
        con.close()


def assert_same_marts(
    actual_path: Path,
    expected: dict[str, dict[str, tuple[int, str]]],
    tables: list[str] | None = None,
    days: list[dt.date] | None = None,
    what: str = "",
) -> None:
    """Every mart equal to `expected` (from `both_hashes`): bit for bit, or at 1e-9 for the
    known order-dependent marts (the exact difference is then a warning)."""
    actual = both_hashes(actual_path, tables, days)
    assert set(actual["exact"]) == set(expected["exact"]), f"{what}: other marts"
    for table, exact in expected["exact"].items():
        assert exact[0] > 0 or days is None, f"{what}: {table} is empty"
        if actual["exact"][table] == exact:
            continue
        assert actual["rounded"][table] == expected["rounded"][table], f"{what}: {table} differs"
        if table not in FLOAT_ORDER_DEPENDENT:
            pytest.fail(f"{what}: {table} equal at 1e-{DIGITS} but not bit for bit")
        warnings.warn(
            f"{what}: {table} equal at 1e-{DIGITS} but not bit for bit (order-dependent double sums)",
            stacklevel=2,
        )


def both_hashes(
    path: Path, tables: list[str] | None = None, days: list[dt.date] | None = None
) -> dict[str, dict[str, tuple[int, str]]]:
    return {"exact": mart_hashes(path, tables, days=days), "rounded": mart_hashes(path, tables, DIGITS, days)}


def dbt_env(duckdb_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HEALTH_DUCKDB_PATH": str(duckdb_path),
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "HEALTH_DBT_TARGET": "dev",
        }
    )
    return env


def copy_of(built_warehouse, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return built_warehouse.copy_to(directory)


# ---------------------------------------------------------------------------------------
# (a) + (b)


@pytest.fixture(scope="module")
def built_hashes(built_warehouse) -> dict[str, dict[str, tuple[int, str]]]:
    """The marts of the session warehouse: the pipeline built them over a window that holds
    W30, on the same raw data and clock."""
    return both_hashes(built_warehouse.path)


def test_killed_build_then_rerun_equals_a_clean_build(built_warehouse, built_hashes, tmp_path):
    expected = built_hashes
    path = copy_of(built_warehouse, tmp_path / "killed")
    command = [dbt_bin(), "run", "--vars", window_vars(*W30),
               "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=dbt_env(path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    marts_started = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if KILLED_MODEL_START.search(line):
                os.killpg(process.pid, signal.SIGKILL)  # on the model's start line: mid-write
                marts_started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    process.wait(timeout=600)
    reader.join(timeout=10)
    output = "".join(lines)
    assert marts_started.is_set(), f"{KILLED_MODEL} never started:\n" + "".join(lines[-30:])
    assert process.returncode == -signal.SIGKILL
    finished = re.findall(r"OK created sql \w+ model (\S+)", output)
    assert KILLED_MODEL not in finished, "killed after the model had finished"
    assert "Completed successfully" not in output

    # The file opens (DuckDB replays its write-ahead log) and a rerun repairs everything.
    duckdb.connect(str(path), read_only=True).close()
    run_dbt(["run", "--vars", window_vars(*W30)], path, tmp_path)
    assert_same_marts(path, expected, what="killed + rerun vs the clean build")


def test_the_same_window_built_twice_is_identical(built_warehouse, built_hashes, tmp_path):
    path = copy_of(built_warehouse, tmp_path / "twice")
    run_dbt(["run", "--vars", window_vars(*W30)], path, tmp_path)
    assert_same_marts(path, built_hashes, what="second build vs first")


# ---------------------------------------------------------------------------------------
# (c)


def _window_readers_among_parents(manifest, marts: list[str]) -> list[str]:
    """The models the marts are built from that read the window vars (macros/health_window.sql)
    but are not tagged `daily`: the runs below would leave them out."""
    by_name = {node.name: node for node in manifest.nodes.values() if node.resource_type == "model"}
    parents, todo = set(), [f"model.customer_health.{mart}" for mart in marts]
    while todo:
        node = manifest.nodes[todo.pop()]
        for parent in node.depends_on.nodes:
            if parent.startswith("model.") and parent not in parents:
                parents.add(parent)
                todo.append(parent)
    window_macros = ("health_window", "in_window_or_compared", "run_var")
    return sorted(
        name
        for name, node in by_name.items()
        if node.unique_id in parents
        and "daily" not in node.tags
        and any(word in macro.split(".")[-1] for macro in node.depends_on.macros for word in window_macros)
    )


def test_ten_single_day_runs_equal_a_ten_day_run_and_a_full_refresh(built_warehouse, tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    marts = [m for m in DAILY_MARTS if list((PROJECT_DIR / "models").rglob(f"{m}.sql"))]
    # The models a window changes: the daily ones (tag `daily`, each reads the window vars)
    # the marts are built from. Their other parents (staging, dimensions) are built from the
    # same raw rows in every copy, whatever the window: rebuilding them in each of the twelve
    # runs would only repeat the built warehouse's work.
    select = ["--select", *(f"tag:daily,+{m}" for m in marts)]
    copies = {name: copy_of(built_warehouse, tmp_path / name) for name in ("single", "ten", "full")}
    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--quiet",
              "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]  # fmt: skip
    monkeypatch.setenv("HEALTH_DBT_TARGET", "dev")
    # One clock for every run (computed_at is the run's clock: compared rows must agree).
    monkeypatch.setenv("HEALTH_NOW", BUILD_NOW.isoformat())
    # In-process runs switch files between invocations: release each file after use.
    monkeypatch.setenv("HEALTH_DUCKDB_KEEP_OPEN", "false")

    def vars_for(start: dt.date, end: dt.date) -> list[str]:
        return [
            "--vars",
            json.dumps({"health_start_date": start.isoformat(), "health_end_date": end.isoformat()}),
        ]

    # Every copy is a file named health.duckdb (same DuckDB catalog name), so one parse
    # serves every run (its nodes reset to uncompiled before each run); the window vars
    # are read when each run compiles.
    monkeypatch.setenv("HEALTH_DUCKDB_PATH", str(copies["single"]))
    parsed = dbtRunner().invoke(["parse", *common, *vars_for(TEN_DAYS[0], TEN_DAYS[-1])])
    assert parsed.success, parsed.exception
    window_read_by = _window_readers_among_parents(parsed.result, marts)
    assert not window_read_by, f"read the window but are not tagged daily: {window_read_by}"

    def run(name: str, start: dt.date, end: dt.date, *extra: str) -> None:
        monkeypatch.setenv("HEALTH_DUCKDB_PATH", str(copies[name]))
        for node in parsed.result.nodes.values():  # forget the previous run's compilation
            if getattr(node, "compiled", False):
                node.compiled, node.extra_ctes_injected, node.extra_ctes = False, False, []
                node.compiled_code = None
        runner = dbtRunner(manifest=parsed.result)
        result = runner.invoke(["run", *common, *select, *extra, *vars_for(start, end)])
        failed = [r.node.name for r in getattr(result.result, "results", []) if str(r.status) != "success"]
        assert result.success, f"{name} {start}..{end}: {result.exception or failed}"

    for day in TEN_DAYS:
        run("single", day, day)
    run("ten", TEN_DAYS[0], TEN_DAYS[-1])
    run("full", TEN_DAYS[0], TEN_DAYS[-1], "--full-refresh")

    ten = both_hashes(copies["ten"], marts, TEN_DAYS)
    assert_same_marts(copies["single"], ten, marts, TEN_DAYS, what="ten single days vs one ten-day run")
    assert_same_marts(copies["full"], ten, marts, TEN_DAYS, what="full refresh vs one ten-day run")

    # Days outside the window were left alone: whole tables agree between the two
    # incremental copies, and the full refresh holds exactly the ten days.
    whole = both_hashes(copies["ten"], marts)
    assert_same_marts(copies["single"], whole, marts, what="whole tables")
    # Rebuilding a window that overlaps days built before changes nothing.
    run("ten", TEN_DAYS[2], TEN_DAYS[6])
    assert_same_marts(copies["ten"], whole, marts, what="an overlapping window built again")
    con = duckdb.connect(str(copies["full"]), read_only=True)
    try:
        for table in marts:
            span = con.execute(
                f"select min(as_of_date), max(as_of_date), count(distinct as_of_date) from marts.{table}"
            ).fetchone()
            assert span == (TEN_DAYS[0], TEN_DAYS[-1], 10), f"{table}: {span}"
    finally:
        con.close()


# ---------------------------------------------------------------------------------------
# (d)

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("begin")
con.execute("create table marts.holder_scratch as select 42 as answer")
con.execute("delete from marts.dq_rejected_rows")
print("ready", flush=True)
sys.stdin.readline()  # hold the file until the test is done with it
"""


def everything_hashes(path: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
        return {
            f"{schema}.{table}": con.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), '\n' order by cast(t as varchar)), '')) "
                f'from "{schema}"."{table}" as t'
            ).fetchone()
            for schema, table in tables
        }
    finally:
        con.close()


def test_a_warehouse_held_by_another_process_gives_a_clear_error_and_stays_intact(built_warehouse, tmp_path):
    from customer_health import serving

    path = copy_of(built_warehouse, tmp_path / "held")
    before = everything_hashes(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run_dbt(["run", "--select", "dq_rejected_rows", "--vars", window_vars(*W30)], path, tmp_path,
                         check=False)  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert re.search(r"Could not set lock on file|Conflicting lock", output), output[-3000:]
        # Readers and the publisher get the same clear error instead of half-written data.
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(path), read_only=True)
        with pytest.raises(duckdb.IOException, match="lock"):
            serving.publish(path, tmp_path / "serving")
        assert serving.current_path(tmp_path / "serving") is None
    finally:
        holder.kill()  # dies with its transaction open: DuckDB must discard it
        holder.wait(timeout=30)
    # The holder's uncommitted work is gone and everything else is exactly as before.
    assert everything_hashes(path) == before
    con = duckdb.connect(str(path))
    con.execute("checkpoint")
    con.close()
    run_dbt(["run", "--select", "dq_rejected_rows", "--vars", window_vars(*W30)], path, tmp_path)
    assert everything_hashes(path) == before
