"""Great Expectations checks (customer_health.quality): what dbt's row-level tests cannot say.

On a clean build every suite passes (and none is skipped); each planted violation of what
GX owns (a window day missing, two definition versions in one run, a personal-data column,
a stale or shrunk raw load, a dropped contract column) makes its suite fail, in GX's own
stored result too; Data Docs HTML is produced; the committed gx/ project is what the
module generates. Row-level rules (a score of 140, a duplicate grain) are dbt's: the
pipeline test shows that such a row fails the run (tests/test_pipeline.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import BUILD_NOW, PROJECT_DIR

from customer_health import quality
from customer_health.manifest import load_manifest, prepare, raw_tables
from customer_health.quality.__main__ import main as quality_main
from customer_health.quality.gx_project import GxProject
from customer_health.quality.suites import COLUMNS_SUITE, LOAD_PROFILE_SUITE, all_suites

NOW = BUILD_NOW.replace(tzinfo=None)
COMMITTED = ("great_expectations.yml", "expectations", "validation_definitions", "checkpoints")


@pytest.fixture()
def gx_root(tmp_path: Path) -> Path:
    """A private copy of the committed GX project (results and Data Docs land in it)."""
    root = tmp_path / "gxproject"
    shutil.copytree(PROJECT_DIR / "gx", root / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    return root


def committed_files(gx_dir: Path) -> dict[str, str]:
    files = {}
    for name in COMMITTED:
        base = gx_dir / name
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            files[str(path.relative_to(gx_dir))] = hashlib.md5(path.read_bytes()).hexdigest()
    return files


def stored_results(gx_root: Path, suite: str) -> list[dict]:
    runs = list((gx_root / "gx" / "uncommitted" / "validations" / suite).rglob("*.json"))
    assert runs, f"no stored validation result for {suite}"
    return [json.loads(run.read_text()) for run in runs]


def manifest():
    return load_manifest(prepare())


def test_committed_gx_project_is_in_sync_with_the_module(gx_root):
    before = committed_files(gx_root / "gx")
    suites = all_suites(manifest())
    GxProject(suites, gx_root)
    after = committed_files(gx_root / "gx")
    assert after == before, "gx/ is out of date: rerun `python -m customer_health.quality` and commit gx/"
    assert {p.stem for p in (gx_root / "gx" / "checkpoints").glob("*.json")} == set(suites)


def test_the_project_opened_in_advance_is_the_one_the_checks_use(gx_root, monkeypatch):
    """A pipeline run opens the GX project in a thread while dbt runs (decision 0017): the
    checks after it use that project instead of opening another."""
    from customer_health.quality import gx_project as gx_module

    opened = []

    class Counted(gx_module.GxProject):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(gx_module, "GxProject", Counted)
    monkeypatch.setattr(gx_module, "_OPENED", {})
    suites = all_suites(manifest())
    gx_module.open_in_background(suites, gx_root).join()
    assert [project.root for project in opened] == [gx_root.resolve()]
    with gx_module.gx_project(suites, gx_root) as project:
        assert project is opened[0]
    assert len(opened) == 1


def test_suites_pass_on_a_clean_build_none_skipped_with_data_docs(built_warehouse, gx_root):
    result = quality.validate_marts(
        built_warehouse.path,
        built_warehouse.start_date,
        built_warehouse.end_date,
        gx_project_root=gx_root,
        data_docs=True,
    )
    assert result.success, result.summary()
    tables = {s.table for s in result.suites}
    assert {
        "fct_account_health_daily",
        "fct_indicator_scores_daily",
        "dq_rejected_rows",
        "dim_account",
    } <= tables
    window = [s for s in result.suites if s.suite == "marts__fct_account_health_daily"]
    assert len(window) == 1 and window[0].evaluated == 4 and window[0].passed == 4
    assert all(s.evaluated > 0 for s in result.suites), "a suite that evaluated nothing counts as a failure"
    index = result.data_docs_index
    assert index is not None and index.exists()
    html = index.read_text()
    for name in {s.suite for s in result.suites}:
        assert name in html, f"{name} missing from the Data Docs index"
        assert all(stored["success"] for stored in stored_results(gx_root, name))


def test_raw_load_profile_checks_schema_freshness_and_volume(built_warehouse, gx_root, tmp_path):
    state = tmp_path / "raw_state.json"
    first = quality.validate_raw(built_warehouse.path, now=NOW, state_path=state, gx_project_root=gx_root)
    assert first.success, first.summary()
    assert {s.table for s in first.suites} == {t.name for t in raw_tables(manifest())}

    # A load that lost half of product.tracks versus the previous one is flagged...
    saved = json.loads(state.read_text())
    saved[str(built_warehouse.path.resolve())]["product.tracks"]["row_count"] *= 2
    state.write_text(json.dumps(saved))
    shrunk = quality.validate_raw(
        built_warehouse.path, now=NOW, state_path=state, gx_project_root=gx_root, update_state=False
    )
    assert shrunk.failed_suites == [f"{LOAD_PROFILE_SUITE} on product.tracks"]
    assert "row_count_ratio" in " ".join(shrunk.for_table("product.tracks")[0].failures)

    # ...and so are sources that stopped loading (freshness: dbt's error_after per source).
    stale = quality.validate_raw(
        built_warehouse.path,
        now=NOW + dt.timedelta(days=10),
        state_path=state,
        gx_project_root=gx_root,
        update_state=False,
    )
    stale_tables = {s.table for s in stale.suites if not s.success}
    assert "crm.account" in stale_tables
    assert "survey.nps_response" not in stale_tables  # survey's error_after is 30 days


def test_raw_schema_drift_and_future_load_times_fail(built_warehouse, gx_root, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    with duckdb.connect(str(path)) as con:
        con.execute("alter table crm.contact drop column persona__c")
        con.execute(
            "update support.ticket set _loaded_at = ? where id = (select min(id) from support.ticket)",
            [NOW + dt.timedelta(days=2)],
        )
    result = quality.validate_raw(path, now=NOW, state_path=tmp_path / "state.json", gx_project_root=gx_root)
    assert set(result.failed_suites) == {
        f"{LOAD_PROFILE_SUITE} on crm.contact",
        f"{LOAD_PROFILE_SUITE} on support.ticket",
    }
    assert "missing_columns" in " ".join(result.for_table("crm.contact")[0].failures)
    assert "future_rows" in " ".join(result.for_table("support.ticket")[0].failures)


def test_violations_of_what_gx_owns_make_the_checkpoints_fail(built_warehouse, gx_root, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    start, end = built_warehouse.start_date, built_warehouse.end_date
    with duckdb.connect(str(path)) as con:
        # a day of the window that the run did not write
        con.execute("delete from marts.fct_indicator_scores_daily where as_of_date = ?", [end])
        # two definition versions in one run's window
        con.execute(
            "update marts.fct_account_health_daily set definition_version = 'other' where as_of_date = ?",
            [start],
        )
        # a personal-data column in a public mart
        con.execute("alter table marts.dim_account add column email varchar")

    result = quality.validate_marts(path, start, end, gx_project_root=gx_root, data_docs=True)
    assert set(result.failed_suites) == {
        "marts__fct_indicator_scores_daily on fct_indicator_scores_daily",
        "marts__fct_account_health_daily on fct_account_health_daily",
        f"{COLUMNS_SUITE} on dim_account",
    }, result.summary()
    assert "as_of_date" in " ".join(result.for_table("fct_indicator_scores_daily")[0].failures)
    assert "definition_version" in " ".join(result.for_table("fct_account_health_daily")[0].failures)
    assert "email" in " ".join(f for s in result.for_table("dim_account") for f in s.failures)
    for suite in ("marts__fct_indicator_scores_daily", "marts__fct_account_health_daily", COLUMNS_SUITE):
        assert not all(stored["success"] for stored in stored_results(gx_root, suite))

    # the command line exits non-zero on the same data
    args = [
        "--duckdb-path",
        str(path),
        "--suite",
        "marts",
        "--start-date",
        str(start),
        "--end-date",
        str(end),
    ]
    assert quality_main(args) == 1


def test_a_missing_mart_fails_and_a_bad_window_is_refused(built_warehouse, gx_root, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    with duckdb.connect(str(path)) as con:
        con.execute("drop table marts.dq_rejected_rows")
    end = built_warehouse.end_date
    result = quality.validate_marts(path, end, end, gx_project_root=gx_root)
    assert "marts__dq_rejected_rows on dq_rejected_rows" in result.failed_suites
    # exactly the rows the run wrote: a one-day window validates one day
    assert all(s.success for s in result.for_table("fct_account_health_daily"))
    with pytest.raises(ValueError, match="ISO date"):
        quality.validate_marts(path, "2026-01-01'; drop table marts.dim_account; --", "2026-01-02")
