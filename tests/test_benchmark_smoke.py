"""The benchmark suite runs end to end at a tiny size and writes a well-formed report.

No timing assertions: benchmarks report numbers, tests do not judge them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_smoke(output_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`benchmarks/run.py --smoke` writing its report to output_dir."""
    return subprocess.run(
        [sys.executable, "benchmarks/run.py", "--smoke", "--output-dir", str(output_dir)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        # A guard against a hang, not a judgement of speed: eight pipeline processes took
        # 834 s on a slow 2-core machine (docs/decisions/0007); the smoke now runs three.
        timeout=2400,
        check=False,
    )


def test_smoke_benchmark_writes_json_and_markdown(tmp_path):
    completed = run_smoke(tmp_path)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    report = json.loads((tmp_path / "smoke.json").read_text())
    names = [phase["name"] for phase in report["phases"]]
    assert names[0] == "data generation"
    assert any(name.startswith("full build") for name in names)
    assert "daily run (1 day)" in names
    # The smoke leaves out the recalculation phase (the full build runs the same job) and the
    # rescore (tests/test_recalculation_paths.py runs its path).
    assert not any("recalculation" in name or "rescore" in name for name in names)
    assert any(name.startswith("intraday run") for name in names)
    assert report["intraday"]["today_is_partial_in_publication"] is True
    assert names[-1].startswith("scan floor")
    # Every dashboard page computed on the publication, first and next visit.
    assert "dashboard: every page, first and next visit" in names
    pages = sorted(f"views/{p.name}" for p in (PROJECT_DIR / "dashboard" / "views").glob("*.py"))
    assert sorted(report["dashboard"]) == pages
    assert all(
        v["first_visit"]["median"] > 0 and v["next_visit"]["median"] > 0 for v in report["dashboard"].values()
    )
    assert report["events"] > 0
    for phase in report["phases"]:
        assert phase["wall_seconds"] > 0
        assert phase["peak_memory_mib"] > 0
        assert phase["cpu_seconds"] > 0
    # The slowest dbt nodes come from the run_results.json of each phase's dbt invocations.
    measured = [phase for phase in report["phases"] if phase["name"].startswith(("full build", "daily run"))]
    assert measured and all(phase["slowest"] for phase in measured)
    assert set(report["ratios"]) == {f"{name} / scan floor" for name in names[1:-1]}
    assert report["ratios"]["daily run (1 day) / scan floor"] > 0
    markdown = (tmp_path / "smoke.md").read_text()
    assert "| phase | wall s |" in markdown and report["commit"] in markdown
    assert "| views/overview.py |" in markdown


def test_the_intraday_repeats_restore_the_world_before_the_landing(tmp_path):
    """A repeat of the intraday run starts from the world as it was before the hour landed:
    files and directories are put back, and what a run added (a WAL, a publication) is gone."""
    sys.path.insert(0, str(PROJECT_DIR))
    from benchmarks.intraday_phase import _copy, _world_files

    env = {
        "HEALTH_SERVING_DIR": str(tmp_path / "serving"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "HEALTH_ALERT_OUTBOX_PATH": str(tmp_path / "outbox.jsonl"),
        "HEALTH_ALERT_DELIVERY_LOG": str(tmp_path / "deliveries.sqlite"),
    }
    duckdb_path = tmp_path / "bench.duckdb"
    duckdb_path.write_text("before")
    (tmp_path / "serving").mkdir()
    (tmp_path / "serving" / "health-1.duckdb").write_text("published before")
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("instance")
    world = _world_files(env, duckdb_path)
    snapshot = tmp_path / "before_landing"
    snapshot.mkdir()
    _copy(world, None, snapshot)

    # The landing and the run change the world.
    duckdb_path.write_text("after")
    (tmp_path / "bench.duckdb.wal").write_text("wal")
    (tmp_path / "serving" / "health-2.duckdb").write_text("published by the run")
    (tmp_path / "outbox.jsonl").write_text("{}\n")
    (tmp_path / "deliveries.sqlite").write_text("ledger")

    _copy(world, snapshot, None)
    assert duckdb_path.read_text() == "before"
    assert not (tmp_path / "bench.duckdb.wal").exists()
    assert sorted(p.name for p in (tmp_path / "serving").iterdir()) == ["health-1.duckdb"]
    assert (tmp_path / "dagster_home" / "dagster.yaml").read_text() == "instance"
    assert not (tmp_path / "outbox.jsonl").exists() and not (tmp_path / "deliveries.sqlite").exists()


def test_a_failed_phase_is_reported_with_the_phases_before_it(tmp_path):
    """A phase that fails ends the benchmark with exit 1, but the report is still written:
    the failed phase last, with what it cost and its last error line."""
    # The generator gets the profile's DuckDB memory limit: 1 KB fails its first table.
    completed = run_smoke(
        tmp_path, {**os.environ, "HEALTH_DUCKDB_MEMORY_LIMIT": "1KB", "TMPDIR": str(tmp_path)}
    )
    assert completed.returncode == 1, completed.stdout[-2000:] + completed.stderr[-2000:]
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert [phase["name"] for phase in report["phases"]] == ["data generation"]
    assert report["phases"][0]["note"].startswith("failed: ")
    assert "Out of Memory" in report["phases"][0]["note"]
    assert report["failed"].startswith("data generation failed after")
    assert "**Stopped: data generation failed" in (tmp_path / "smoke.md").read_text()


def test_the_spark_floor_query_counts_what_the_scan_floor_counts(tmp_path):
    """The floor's query over the Parquet export (the one Spark reads) gives the scan floor's
    result over the warehouse's own tables (checked here with DuckDB on both sides)."""
    import duckdb

    sys.path.insert(0, str(PROJECT_DIR))
    from benchmarks.commands import SCAN_FLOOR_SQL
    from benchmarks.spark_floor import FLOOR_SQL, export
    from healthgen.generator import generate

    warehouse = tmp_path / "world.duckdb"
    generate(str(warehouse), accounts=8, days=30, seed=3, quiet=True)
    files, rows, _ = export(warehouse, tmp_path / "export")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(SCAN_FLOOR_SQL).fetchone()[0]
        assert rows == con.execute("select count(*) from product.tracks").fetchone()[0] > 0
    con = duckdb.connect()
    for name, path in files.items():
        con.execute(f"create view {name} as select * from '{path}'")
    assert con.execute(FLOOR_SQL).fetchone()[0] == expected > 0


def test_a_run_that_does_not_print_what_its_phase_claims_fails_the_phase():
    """The rescore phase claims the rescoring path: a run that took another path (or says
    nothing) fails the phase instead of being reported as a rescore."""
    sys.path.insert(0, str(PROJECT_DIR))
    from benchmarks.measure import PhaseFailed, run_measured

    env = dict(os.environ)
    said = "health_recalculation_job: success (run 1, full path)"
    command = [sys.executable, "-c", f"print({said!r})"]
    wall, _, _ = run_measured(command, env, expect=", full path)")
    assert wall > 0
    with pytest.raises(PhaseFailed) as failed:
        run_measured(command, env, expect=", rescore path)")
    assert failed.value.last_line == "BenchmarkError: the run succeeded but did not print ', rescore path)'"
    assert said in str(failed.value)
