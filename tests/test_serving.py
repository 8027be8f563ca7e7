"""Safe serving for BI (customer_health.serving): publications are complete, immutable
DuckDB files swapped in atomically; a reader querying the serving copy in a loop while a
build runs never errors and always sees one complete definition_version / as-of state."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import run_dbt, window_vars

from customer_health import serving

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

serving, out, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
deadline = time.time() + float(sys.argv[4])
with out.open("w") as log:
    while time.time() < deadline and not stop.exists():
        try:
            con = duckdb.connect(str(serving / "current.duckdb"), read_only=True)
            try:
                rows = con.execute(
                    "select publication_id, definition_version, as_of_start, as_of_end, row_counts "
                    "from _serving.publication").fetchall()
                assert len(rows) == 1, rows
                pid, version, start, end, counts = rows[0]
                counts = json.loads(counts)
                actual = {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in counts}
                tables = {t for (t,) in con.execute(
                    "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
                span = con.execute(
                    "select min(as_of_date), max(as_of_date) from marts.fct_account_health_daily").fetchone()
                versions = con.execute(
                    "select distinct definition_version from marts.fct_account_health_daily "
                    "where as_of_date = ?", [end]).fetchall()
                consistent = actual == counts and tables == set(counts) and tuple(span) == (start, end) \
                    and versions == [(version,)]
                record = {"id": pid, "consistent": consistent, "start": str(start), "end": str(end)}
            finally:
                con.close()
        except Exception as error:  # any error is a failure of safe serving
            record = {"error": f"{type(error).__name__}: {error}"}
        log.write(json.dumps(record) + "\n")
        log.flush()
        time.sleep(0.1)
"""


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_publication_records_what_it_holds(built_warehouse, tmp_path, capsys):
    target = serving.publish(built_warehouse.path, tmp_path / "serving")
    assert target.exists() and target.parent.name == "publications"
    assert serving.current_path(tmp_path / "serving") == target
    assert (tmp_path / "serving" / "current.duckdb").is_symlink()
    assert (tmp_path / "serving" / "CURRENT").read_text().strip() == target.name

    info = serving.publication_info(tmp_path / "serving")
    source = duckdb.connect(str(built_warehouse.path), read_only=True)
    try:
        marts = [t for (t,) in source.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' "
            "and regexp_matches(table_name, '^(dim|fct|dq)_') order by 1").fetchall()]  # fmt: skip
        counts = {t: source.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in marts}
        version = source.execute(
            "select distinct definition_version from marts.fct_account_health_daily where as_of_date = ?",
            [built_warehouse.end_date],
        ).fetchall()
    finally:
        source.close()
    assert info["row_counts"] == counts
    assert (info["as_of_start"], info["as_of_end"]) == (built_warehouse.start_date, built_warehouse.end_date)
    assert [(info["definition_version"],)] == version

    # Only the public marts and the publication record: no staging, raw or demo data.
    con = serving.connect(tmp_path / "serving")
    try:
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        with pytest.raises(duckdb.Error):  # read-only for readers
            con.execute("create table marts.scratch as select 1")
    finally:
        con.close()
    assert schemas == {"marts", "_serving"}

    assert serving.main(["path", "--serving-dir", str(tmp_path / "serving")]) == 0
    assert capsys.readouterr().out.strip() == str(target)


def test_the_publication_carries_every_mart_description_as_comments(built_warehouse, tmp_path):
    """BI tools read the descriptions of the public marts from the serving copy: every mart's
    dbt description is its table comment there, and every documented column's its column
    comment (persist_docs on the marts, copied by the publication; decision 0018)."""
    from customer_health.manifest import load_manifest

    serving.publish(built_warehouse.path, tmp_path / "serving")
    models = {
        node["name"]: node
        for node in load_manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }
    con = serving.connect(tmp_path / "serving")
    try:
        tables = dict(con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall())  # fmt: skip
        columns = {(t, c): comment for t, c, comment in con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'").fetchall()}  # fmt: skip
    finally:
        con.close()
    assert tables and set(tables) <= set(models)
    for table, comment in tables.items():
        assert comment == models[table]["description"], table
        documented = {name: column["description"] for name, column in models[table]["columns"].items()}
        published = {c: text for (t, c), text in columns.items() if t == table}
        assert documented and published == documented, table


def test_refused_or_failed_publications_leave_the_current_one(built_warehouse, tmp_path, monkeypatch):
    serving_dir = tmp_path / "serving"
    first = serving.publish(built_warehouse.path, serving_dir)

    failed = tmp_path / "run_results.json"
    failed.write_text(json.dumps({"results": [
        {"unique_id": "model.customer_health.fct_account_health_daily", "status": "success"},
        {"unique_id": "test.customer_health.unique_x", "status": "fail"},
    ]}))  # fmt: skip
    with pytest.raises(serving.PublishRefused, match="did not succeed"):
        serving.publish(built_warehouse.path, serving_dir, run_results=failed)
    assert serving.main(["publish", "--duckdb-path", str(built_warehouse.path), "--serving-dir",
                         str(serving_dir), "--run-results", str(failed)]) == 1  # fmt: skip

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(serving.PublishRefused, match="nothing to serve"):
        serving.publish(empty, serving_dir)

    def crash(source, target, *args, **kwargs):
        duckdb.connect(str(target)).execute("create table half_written as select 1").close()
        raise OSError("disk full")

    monkeypatch.setattr(serving, "_write_publication", crash)
    with pytest.raises(OSError, match="disk full"):
        serving.publish(built_warehouse.path, serving_dir)
    monkeypatch.undo()

    assert serving.current_path(serving_dir) == first
    leftovers = [p.name for p in (serving_dir / "publications").iterdir() if p != first]
    assert leftovers == [], leftovers

    # Old publications go once `keep` newer ones exist (and the grace period passed).
    monkeypatch.setattr(serving, "GRACE_SECONDS", 0.0)
    newest = [serving.publish(built_warehouse.path, serving_dir, keep=2) for _ in range(3)][-1]
    remaining = sorted((serving_dir / "publications").glob("health-*.duckdb"))
    assert len(remaining) == 2 and remaining[-1] == newest == serving.current_path(serving_dir)


def test_a_reader_never_sees_a_partial_state_during_a_build(built_warehouse, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    serving_dir = tmp_path / "serving"
    first = serving.publish(path, serving_dir)
    log, stop = tmp_path / "reader.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(serving_dir), str(log), str(stop), "600"])
    try:
        wait_for(lambda: len(read_log(log)) >= 3)
        # A build that extends the health history by a week, writing the warehouse file.
        earlier = (
            built_warehouse.start_date - dt.timedelta(days=7),
            built_warehouse.start_date - dt.timedelta(days=1),
        )
        select = ["--select", "+fct_account_health_daily", "+fct_indicator_scores_daily"]
        during_build: list[int] = []

        def read_while_dbt_writes(process: subprocess.Popen) -> None:
            """Once dbt writes the warehouse (its write-ahead log exists, or a checkpoint
            has already moved it into the file), stop it until the reader has read three
            more times: reads during a build, whatever the load."""
            wal = path.with_name(path.name + ".wal")

            def written() -> bool:
                stat = path.stat()
                return wal.exists() or (stat.st_mtime_ns, stat.st_size) != unwritten

            wait_for(lambda: written() or process.poll() is not None)
            assert process.poll() is None, "dbt ended before it was seen writing the warehouse"
            process.send_signal(signal.SIGSTOP)
            try:
                before = len(read_log(log))
                wait_for(lambda: len(read_log(log)) >= before + 3)
                during_build.append(len(read_log(log)) - before)
            finally:
                process.send_signal(signal.SIGCONT)

        assert not path.with_name(path.name + ".wal").exists()
        unwritten = (path.stat().st_mtime_ns, path.stat().st_size)
        run_dbt(
            ["run", *select, "--vars", window_vars(*earlier)],
            path,
            tmp_path,
            while_running=read_while_dbt_writes,
        )
        second = serving.publish(path, serving_dir)
        wait_for(lambda: sum(r.get("id") == second.name.removeprefix("health-").removesuffix(".duckdb")
                             for r in read_log(log)) >= 3)  # fmt: skip
    finally:
        stop.touch()
        reader.wait(timeout=60)
    records = read_log(log)
    assert reader.returncode == 0
    errors = [r["error"] for r in records if "error" in r]
    assert not errors, errors[:5]
    assert during_build, "the build was not paused while it wrote the warehouse"
    assert all(r["consistent"] for r in records), [r for r in records if not r["consistent"]][:5]
    ids = [r["id"] for r in records]
    first_id = first.name.removeprefix("health-").removesuffix(".duckdb")
    second_id = second.name.removeprefix("health-").removesuffix(".duckdb")
    assert set(ids) == {first_id, second_id}
    switch = ids.index(second_id)
    assert set(ids[:switch]) == {first_id} and set(ids[switch:]) == {second_id}, (
        "the reader went back in time"
    )
    states = {(r["id"], r["start"], r["end"]) for r in records}
    assert states == {
        (first_id, str(built_warehouse.start_date), str(built_warehouse.end_date)),
        (second_id, str(earlier[0]), str(built_warehouse.end_date)),
    }


def publication_hashes(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]  # fmt: skip
        return {t: con.execute(serving.content_hash_sql(f"marts.{t}")).fetchone() for t in tables}


def test_a_window_publication_equals_a_full_one_and_its_source(built_warehouse, tmp_path):
    """From a copy of the current publication with only the window's days replaced: the
    same content as a publication from scratch, and as the warehouse's marts themselves."""
    warehouse = built_warehouse.copy_to(tmp_path)
    serving_dir = tmp_path / "serving"
    serving.publish(warehouse, serving_dir)
    day = built_warehouse.end_date
    with duckdb.connect(str(warehouse)) as con:  # what a run over the last day changes
        con.execute(
            "update marts.fct_account_health_daily set top_reasons = 'rerun' where as_of_date = ?", [day]
        )
        con.execute(
            "delete from marts.fct_indicator_scores_daily where as_of_date = ? and indicator_id = 'nps'",
            [day],
        )
        con.execute("update marts.dim_account set account_name = account_name || ' (renamed)'")
    daily = {"fct_account_health_daily": "as_of_date", "fct_indicator_scores_daily": "as_of_date"}
    incremental = serving.publish(warehouse, serving_dir, window=(day, day), daily_tables=daily)
    full = serving.publish(warehouse, tmp_path / "full_serving")
    assert publication_hashes(incremental) == publication_hashes(full)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        source = {
            t: con.execute(serving.content_hash_sql(f"marts.{t}")).fetchone()
            for t in publication_hashes(full)
        }
    assert publication_hashes(incremental) == source

    # A publication made from another warehouse file is no base: everything is copied.
    other = tmp_path / "other" / "warehouse.duckdb"
    other.parent.mkdir()
    shutil.copyfile(built_warehouse.path, other)
    fresh = serving.publish(other, serving_dir, window=(day, day), daily_tables=daily)
    with duckdb.connect(str(other), read_only=True) as con:
        expected = {
            t: con.execute(serving.content_hash_sql(f"marts.{t}")).fetchone()
            for t in publication_hashes(full)
        }
    assert publication_hashes(fresh) == expected
