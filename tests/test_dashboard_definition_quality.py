"""The dashboard's "Definition quality" page, on a small serving directory built here: the
published marts it reads (fct_account_health_daily for the sidebar, fct_health_backtest,
fct_health_backtest_auc_quarterly) and the latest calibration report published beside them
(calibration/LATEST). The page must render cleanly and show the report's numbers; without a
report it says how to make one."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest
from test_calibrate import HORIZON, SEEDS, TRAIN_UNTIL, build_warehouse

from customer_health.calibrate import run
from customer_health.calibrate.store import mark_latest, new_run_dir

PROJECT_DIR = Path(__file__).resolve().parent.parent
APP = PROJECT_DIR / "dashboard" / "app.py"
PAGE = "views/definition_quality.py"
sys.path.insert(0, str(APP.parent))


def _serving(directory: Path) -> Path:
    directory.mkdir(parents=True)
    path = directory / "current.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.fct_account_health_daily as
            select 'a' as account_id, date '2026-11-30' - i::int as as_of_date, 70.0 as health_score
            from range(60) as t(i)
            """
        )
        con.execute(
            """
            create table marts.fct_health_backtest as
            select 'v1' as definition_version, h.horizon_days, band.health_band,
                band.health_band = 'poor' and i % 2 = 0 as is_churned, i % 7 = 0 as is_contracted,
                true as has_score, true as is_renewal_point
            from (values (30), (90), (180)) as h(horizon_days)
            cross join (values ('good'), ('average'), ('poor')) as band(health_band)
            cross join range(20) as t(i)
            """
        )
        con.execute(
            """
            create table marts.fct_health_backtest_auc_quarterly as
            select 'v1' as definition_version, h.horizon_days, q.outcome_quarter,
                10 as churned_count, 50 as retained_count, 0.6 + 0.05 * row_number() over () / 10 as churn_auc
            from (values (30), (90), (180)) as h(horizon_days)
            cross join (values (date '2026-01-01'), (date '2026-04-01'), (date '2026-07-01')) as q(outcome_quarter)
            """
        )
    return path


def _app(monkeypatch: pytest.MonkeyPatch, serving_file: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HEALTH_SERVING_PATH", str(serving_file))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not [e.message for e in at.exception], [e.message for e in at.exception]
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert [t.value for t in at.title] == ["Definition quality"]
    return at


def test_page_shows_the_latest_calibration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serving_file = _serving(tmp_path / "serving")
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse)
    run_dir = new_run_dir(tmp_path / "serving", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    code, report = run(warehouse, HORIZON, TRAIN_UNTIL, run_dir, seeds_dir=SEEDS)
    assert code == 0
    mark_latest(run_dir)
    at = _app(monkeypatch, serving_file)
    main = next(r for r in report["held_out_evaluation"]["auc"] if r["horizon_days"] == HORIZON)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Candidate AUC (held out)"] == f"{main['candidate_auc']:.3f}"
    assert metrics["Current AUC (held out)"] == f"{main['current_auc']:.3f}"


def test_page_without_a_report_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(monkeypatch, _serving(tmp_path / "serving"))
    assert any("health_calibration_job" in i.value for i in at.info)
