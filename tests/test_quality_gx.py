"""Great Expectations checkpoints (customer_health.quality) on a clean build and on a
copy with planted violations: the suites pass on the clean build, each violation makes
its checkpoint fail (in GX's own stored result, not only in our summary), Data Docs HTML
is produced, and the committed gx/ project is what the module generates."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import END_DATE, PROJECT_DIR

from customer_health import quality

# The last load of the generated data is at the end of END_DATE (the generator's load cap).
NOW = dt.datetime.combine(END_DATE + dt.timedelta(days=1), dt.time(6, 0))
COMMITTED = ("great_expectations.yml", "expectations", "validation_definitions", "checkpoints")


@pytest.fixture()
def gx_root(tmp_path: Path) -> Path:
    """A private copy of the committed GX project (results and Data Docs land in it)."""
    root = tmp_path / "gxproject"
    source = PROJECT_DIR / "gx"
    if source.exists():
        shutil.copytree(source, root / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    else:
        root.mkdir()
    return root


def committed_files(gx_dir: Path) -> dict[str, str]:
    files = {}
    for name in COMMITTED:
        base = gx_dir / name
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            files[str(path.relative_to(gx_dir))] = hashlib.md5(path.read_bytes()).hexdigest()
    return files


def latest_stored_result(gx_root: Path, suite: str) -> dict:
    runs = sorted(
        (gx_root / "gx" / "uncommitted" / "validations" / suite).rglob("*.json"),
        key=lambda p: p.stat().st_mtime,
    )
    assert runs, f"no stored validation result for {suite}"
    return json.loads(runs[-1].read_text())


def test_committed_gx_project_is_in_sync_with_the_module(gx_root):
    assert (PROJECT_DIR / "gx" / "great_expectations.yml").exists(), (
        "run: python -m customer_health.quality --suite marts"
    )
    before = committed_files(gx_root / "gx")
    quality.GxProject(gx_root)
    after = committed_files(gx_root / "gx")
    assert after == before, "gx/ is out of date: rerun `python -m customer_health.quality` and commit gx/"
    suites = quality.all_suites()
    assert {p.stem for p in (gx_root / "gx" / "checkpoints").glob("*.json")} == set(suites)
    for name in suites:
        checkpoint = json.loads((gx_root / "gx" / "checkpoints" / f"{name}.json").read_text())
        assert [a["type"] for a in checkpoint["actions"]] == ["update_data_docs"]


def test_mart_suites_pass_on_a_clean_build_and_build_data_docs(built_warehouse, gx_root):
    result = quality.validate_marts(
        built_warehouse.path, built_warehouse.start_date, built_warehouse.end_date, gx_project_root=gx_root
    )
    assert result.success, result.summary()
    assert result.failed == 0 and result.passed > 40
    ran = {s.suite: s for s in result.suites if not s.skipped}
    for required in ("marts__fct_account_health_daily", "marts__fct_indicator_scores_daily",
                     "marts__dq_rejected_rows", "marts__columns"):  # fmt: skip
        assert required in ran and ran[required].rows > 0, result.summary()
    # exactly the rows the run wrote: the window's days
    window_days = (built_warehouse.end_date - built_warehouse.start_date).days + 1
    con = duckdb.connect(str(built_warehouse.path), read_only=True)
    expected = con.execute(
        "select count(*) from marts.fct_account_health_daily where as_of_date between ? and ?",
        [built_warehouse.start_date, built_warehouse.end_date],
    ).fetchone()[0]
    days = con.execute("select count(distinct as_of_date) from marts.fct_account_health_daily").fetchone()[0]
    con.close()
    assert ran["marts__fct_account_health_daily"].rows == expected and days == window_days

    index = result.data_docs_index
    assert index is not None and index.exists()
    site = index.parent
    html = index.read_text()
    for name in ran:
        assert name in html, f"{name} missing from the Data Docs index"
        assert list((site / "validations" / name).rglob("*.html")), f"no Data Docs page for {name}"
        assert latest_stored_result(gx_root, name)["success"] is True


def test_raw_suites_check_freshness_and_volume_against_the_previous_load(built_warehouse, gx_root, tmp_path):
    state = tmp_path / "raw_state.json"
    first = quality.validate_raw(built_warehouse.path, now=NOW, state_path=state, gx_project_root=gx_root,
                                 data_docs=False)  # fmt: skip
    assert first.success, first.summary()
    assert len(first.suites) == len(quality.raw_tables()) + 1  # every raw table + the load profile
    saved = json.loads(state.read_text())[str(built_warehouse.path.resolve())]
    assert saved["product.tracks"]["row_count"] > 0

    # The same load again: volume ratio 1, and only the rows landed since (none) are read.
    second = quality.validate_raw(built_warehouse.path, now=NOW, state_path=state, gx_project_root=gx_root,
                                  data_docs=False)  # fmt: skip
    assert second.success, second.summary()
    assert second.suite("raw__product__tracks").rows == 0

    # A load that lost half of product.tracks versus the previous one is flagged...
    doubled = json.loads(state.read_text())
    doubled[str(built_warehouse.path.resolve())]["product.tracks"]["row_count"] *= 2
    state.write_text(json.dumps(doubled))
    shrunk = quality.validate_raw(built_warehouse.path, now=NOW, state_path=state, gx_project_root=gx_root,
                                  update_state=False, data_docs=False)  # fmt: skip
    assert not shrunk.success
    assert shrunk.failed_suites == [quality.LOAD_PROFILE_SUITE]
    assert any(
        "row_count_ratio" in f and "product.tracks" in f
        for f in shrunk.suite(quality.LOAD_PROFILE_SUITE).failures
    )

    # ...and so are sources that stopped loading (freshness: dbt's error_after per source).
    stale = quality.validate_raw(built_warehouse.path, now=NOW + dt.timedelta(days=10), state_path=state,
                                 gx_project_root=gx_root, update_state=False, data_docs=False)  # fmt: skip
    failures = " ".join(stale.suite(quality.LOAD_PROFILE_SUITE).failures)
    assert "hours_since_last_load" in failures and "crm.account" in failures
    assert "survey.nps_response" not in failures  # survey's error_after is 30 days


def test_violations_make_the_checkpoints_fail(built_warehouse, gx_root, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    day = built_warehouse.end_date
    con = duckdb.connect(str(path))
    # a score out of range
    con.execute(
        "update marts.fct_account_health_daily set health_score = 140 where rowid = "
        "(select min(rowid) from marts.fct_account_health_daily where as_of_date = ?)",
        [day],
    )
    # a duplicate grain
    con.execute(
        "insert into marts.fct_indicator_scores_daily select * from marts.fct_indicator_scores_daily "
        "where as_of_date = ? limit 1",
        [day],
    )
    # a personal-data column in a public mart
    con.execute("create table marts.fct_contact_touchpoints as select 'a@example.com' as email, 1 as touches")
    hierarchy = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name = 'fct_hierarchy_health_daily'"
    ).fetchone()[0]
    if hierarchy:  # shares that do not sum to 1 for a node
        con.execute(
            "update marts.fct_hierarchy_health_daily set good_share = good_share + 0.25 where rowid = "
            "(select min(rowid) from marts.fct_hierarchy_health_daily where as_of_date = ? and member_count > 0)",
            [day],
        )
    con.close()

    result = quality.validate_marts(path, built_warehouse.start_date, day, gx_project_root=gx_root)
    assert not result.success
    expected = {"marts__fct_account_health_daily", "marts__fct_indicator_scores_daily", "marts__columns"}
    if hierarchy:
        expected.add("marts__fct_hierarchy_health_daily")
    assert set(result.failed_suites) == expected, result.summary()
    health = " ".join(result.suite("marts__fct_account_health_daily").failures)
    assert "health_score" in health and "140" in health
    assert "compound_columns_to_be_unique" in " ".join(
        result.suite("marts__fct_indicator_scores_daily").failures
    )
    assert "email" in " ".join(result.suite("marts__columns").failures)
    for suite in expected:  # GX's own stored checkpoint result says so too
        assert latest_stored_result(gx_root, suite)["success"] is False
    assert list(
        (result.data_docs_index.parent / "validations" / "marts__fct_account_health_daily").rglob("*.html")
    )

    # the command line exits non-zero on the same data
    code = quality.main(["--duckdb-path", str(path), "--suite", "marts", "--start-date", str(built_warehouse.start_date),
                         "--end-date", str(day), "--gx-project-root", str(gx_root)])  # fmt: skip
    assert code == 1


def test_a_missing_required_mart_fails_and_bad_window_is_refused(built_warehouse, gx_root, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    con = duckdb.connect(str(path))
    con.execute("drop table marts.dq_rejected_rows")
    con.close()
    result = quality.validate_marts(path, built_warehouse.end_date, built_warehouse.end_date,
                                    gx_project_root=gx_root, data_docs=False)  # fmt: skip
    assert "marts__dq_rejected_rows" in result.failed_suites
    # exactly the rows the run wrote: a one-day window validates one day
    assert result.suite("marts__fct_account_health_daily").success
    with pytest.raises(ValueError, match="ISO date"):
        quality.validate_marts(path, "2026-01-01'; drop table marts.dim_account; --", "2026-01-02",
                               gx_project_root=gx_root)  # fmt: skip
