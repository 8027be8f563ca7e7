"""The executive dashboard (dashboard/) on a published serving copy of a built warehouse.

- Streamlit's AppTest runs every page without exceptions or error boxes, and the figures
  it shows (overview KPIs and band counts, a segment table, one account's score, ARR and
  indicators, a hierarchy node under both roll-up methods, open alerts) equal the marts.
- Without the optional marts (hierarchy, alerts, dim_account) every page still renders
  and says what is missing; without any serving copy the app explains how to publish.
- Round 2: the relationship x impact page counts what the mart says per quadrant; the
  account page shows the CSM override (reason, author, last day) beside the computed score
  and the quadrant's play; the hierarchy explorer's products equal the product roll-up.
  Above charts.MAX_BUBBLES accounts the map draws the largest by ARR as bubbles and all of
  them as density cells.
- A real browser: headless Chromium (Debian package `chromium`) loads the running app
  (`streamlit run` on 127.0.0.1), waits for the overview's charts through the DevTools
  protocol, fails on an error box or a blank page, checks the band distribution it shows
  and saves a screenshot (to $DASHBOARD_SCREENSHOT_DIR / $SCREENSHOT_DIR when set); then the
  hierarchy explorer with products, the relationship x impact chart and an account with an
  override. Skipped with a reason when Chromium is not installed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from _browser import browser, free_port, http_ok, keep_screenshot, server, wait_until
from _dashboard_app import (
    APP,
    OPTIONAL_MARTS,
    PAGES,
    Serving,
    app_test,
    assert_clean,
    metric,
    override_account,
    wait_for_page,
)
from conftest import PROJECT_DIR, Warehouse

sys.path.insert(0, str(APP.parent))
from health_dashboard import ui  # noqa: E402


@pytest.fixture(scope="module")
def serving(built_warehouse: Warehouse) -> Serving:
    """The serving copy the pipeline published when it built the session's warehouse."""
    from customer_health.serving import current_path

    current = current_path(built_warehouse.serving_dir)
    assert current is not None, "the pipeline published nothing"
    return Serving(current, built_warehouse.end_date)


@pytest.fixture(scope="module")
def bare_serving(serving: Serving, tmp_path_factory: pytest.TempPathFactory) -> Serving:
    """A serving copy without the optional marts."""
    path = tmp_path_factory.mktemp("dashboard_bare") / "bare.duckdb"
    shutil.copyfile(serving.path, path)
    con = duckdb.connect(str(path))
    try:
        for table in OPTIONAL_MARTS:
            con.execute(f"drop table if exists marts.{table}")
    finally:
        con.close()
    return Serving(path, serving.end_date)


# --- AppTest ------------------------------------------------------------------------------------


def test_every_page_renders(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, serving.path)
    for page, title in PAGES.items():
        started = time.perf_counter()
        if page != "views/overview.py":
            at.switch_page(page).run()
        assert_clean(at, page)
        assert [t.value for t in at.title] == [title], page
        print(f"{page}: {time.perf_counter() - started:.2f}s")


def test_overview_figures_equal_the_marts(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, serving.path)
    assert_clean(at, "overview")
    day = serving.end_date
    expected = serving.sql(
        """
        select
            count(*) as accounts,
            coalesce(sum(arr) filter (where effective_health_band = 'poor'), 0) as arr_at_risk,
            sum(arr * effective_health_score) filter (where effective_health_score is not null)
                / sum(arr) filter (where effective_health_score is not null) as weighted
        from marts.fct_account_health_daily where as_of_date = ?
        """,
        [day],
    ).iloc[0]
    assert metric(at, "Customer accounts").value == f"{int(expected['accounts']):,}"
    assert metric(at, "ARR at risk (poor health)").value == ui.money(expected["arr_at_risk"])
    assert metric(at, "ARR-weighted health score").value == ui.score(expected["weighted"])
    # The overview counts the effective bands (segment mart `all`: CSM overrides applied).
    bands = serving.sql(
        "select effective_health_band as health_band, count(*) as n from marts.fct_account_health_daily "
        "where as_of_date = ? group by 1",
        [day],
    )
    counts = dict(zip(bands["health_band"], bands["n"], strict=True))
    caption = next(c.value for c in at.caption if c.value.startswith("Accounts by health band"))
    for band, label in ui_band_labels().items():
        assert f"{label} {counts.get(band, 0):,}" in caption, caption


def ui_band_labels() -> dict[str, str]:
    from health_dashboard import charts

    return charts.BAND_LABELS


def test_segment_table_equals_the_mart(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, serving.path)
    at.switch_page("views/segments.py").run()
    at.radio(key="segment_dimension").set_value("region").run()
    assert_clean(at, "segments")
    shown = at.dataframe[0].value.set_index("segment_value")
    expected = serving.sql(
        "select segment_value, account_count, poor_accounts, arr_at_risk, arr_weighted_health_score "
        "from marts.fct_segment_health_daily where segment_dimension = 'region' and as_of_date = ?",
        [serving.end_date],
    ).set_index("segment_value")
    assert sorted(shown.index) == sorted(expected.index)
    for region, row in expected.iterrows():
        assert shown.at[region, "account_count"] == row["account_count"]
        assert shown.at[region, "poor_accounts"] == row["poor_accounts"]
        assert shown.at[region, "arr_at_risk"] == pytest.approx(row["arr_at_risk"])
        assert shown.at[region, "arr_weighted_health_score"] == pytest.approx(
            row["arr_weighted_health_score"], nan_ok=True
        )
    # Sorted by ARR at risk, largest first (the default).
    assert list(shown["arr_at_risk"]) == sorted(shown["arr_at_risk"], reverse=True)
    # The regions add up to the company (the account mart).
    total = serving.sql(
        "select count(*) as n from marts.fct_account_health_daily where as_of_date = ?", [serving.end_date]
    ).iloc[0]["n"]
    assert shown["account_count"].sum() == total


def test_account_page_equals_the_marts(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    day = serving.end_date
    account = serving.sql(
        """
        select health.account_id, health.health_score, health.arr, accounts.account_name
        from marts.fct_account_health_daily as health
        left join marts.dim_account as accounts on health.account_id = accounts.account_id
        where health.as_of_date = ? and health.health_score is not null
        order by health.arr desc, health.account_id
        limit 1
        """,
        [day],
    ).iloc[0]
    at = app_test(monkeypatch, serving.path)
    at.query_params["account_id"] = account["account_id"]
    at.switch_page("views/account.py").run()
    assert_clean(at, "account")
    assert at.selectbox(key="account_id").value == account["account_id"]
    assert [h.value for h in at.header] == [account["account_name"] or account["account_id"]]
    assert metric(at, "Health score").value == ui.score(account["health_score"])
    assert metric(at, "ARR").value == ui.money(account["arr"])
    indicators = serving.sql(
        "select indicator_id, indicator_score from marts.fct_indicator_scores_daily "
        "where account_id = ? and as_of_date = ?",
        [account["account_id"], day],
    ).set_index("indicator_id")
    shown = next(d.value for d in at.dataframe if "indicator_id" in d.value.columns).set_index("indicator_id")
    assert sorted(shown.index) == sorted(indicators.index)
    for indicator, row in indicators.iterrows():
        assert shown.at[indicator, "indicator_score"] == pytest.approx(row["indicator_score"], nan_ok=True)


def test_hierarchy_walks_down_with_both_methods(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    day = serving.end_date
    parents = serving.sql(
        """
        select account_id from marts.dim_account as parent
        where parent_account_id is null
            and exists (select 1 from marts.dim_account as child where child.parent_account_id = parent.account_id)
            and account_id in (
                select account_id from marts.fct_hierarchy_health_daily
                where as_of_date = ? and hierarchy_depth = 0 and subtree_account_count > 1
            )
        order by account_id
        """,
        [day],
    )
    assert not parents.empty, "the test dataset has enterprises with children on its last day"
    root = parents.iloc[0]["account_id"]
    child = serving.sql(
        "select account_id from marts.dim_account where parent_account_id = ? order by account_id limit 1",
        [root],
    ).iloc[0]["account_id"]
    at = app_test(monkeypatch, serving.path)
    at.switch_page("views/hierarchy.py").run()
    at.selectbox(key="hierarchy_root").set_value(root).run()
    assert_clean(at, "hierarchy root")
    at.selectbox(key="hierarchy_child").set_value(child).run()
    assert_clean(at, "hierarchy child")
    assert at.session_state["hierarchy_path"] == [root, child]
    expected = serving.sql(
        "select rollup_method, health_score from marts.fct_hierarchy_health_daily "
        "where account_id = ? and as_of_date = ? order by rollup_method",
        [child, day],
    )
    shown = [m.value for m in at.metric if m.label == "Health score"]
    assert shown == [ui.score(s) for s in expected["health_score"]]  # account_count, then contract_value
    # One step back up through the breadcrumb.
    at.button(key="crumb_0").click().run()
    assert at.session_state["hierarchy_path"] == [root]


def test_quadrant_page_counts_the_marts(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, serving.path)
    at.switch_page("views/quadrant.py").run()
    assert_clean(at, "quadrant")
    expected = serving.sql(
        "select q.quadrant_label, q.recommended_play, count(h.account_id) as n "
        "from marts.dim_health_quadrant as q left join marts.fct_account_health_daily as h "
        "on h.health_quadrant = q.health_quadrant and h.as_of_date = ? group by all",
        [serving.end_date],
    )
    assert int(expected["n"].sum()) > 20, "the test dataset places accounts in the quadrants"
    plays = [
        m.value.removeprefix("Play: **").removesuffix("**")
        for m in at.markdown
        if m.value.startswith("Play: ")
    ]
    assert sorted(plays) == sorted(expected["recommended_play"])
    captions = " | ".join(c.value for c in at.caption)
    for row in expected.itertuples(index=False):
        assert f"{int(row.n)} · " in captions, (row, captions)
    assert_the_picked_quadrant_lists_all_its_accounts(at, serving)


def assert_the_picked_quadrant_lists_all_its_accounts(at: object, serving: Serving) -> None:
    picked = at.selectbox(key="quadrant_pick").value  # type: ignore[attr-defined]
    count = serving.sql(
        "select count(*) as n from marts.fct_account_health_daily where as_of_date = ? and health_quadrant = ?",
        [serving.end_date, picked],
    ).iloc[0]["n"]
    assert len(at.dataframe[0].value) == count  # type: ignore[attr-defined]


def test_a_quadrant_map_of_more_accounts_than_bubbles_draws_the_largest_and_all_as_density(
    serving: Serving, monkeypatch: pytest.MonkeyPatch
):
    """Above charts.MAX_BUBBLES accounts the map draws that many, the largest by ARR, as
    bubbles, and every account as density cells; the counts and the table keep them all."""
    from health_dashboard import charts

    monkeypatch.setattr(charts, "MAX_BUBBLES", 10)
    at = app_test(monkeypatch, serving.path)
    at.switch_page("views/quadrant.py").run()
    assert_clean(at, "quadrant")
    points = serving.sql(
        "select account_id, arr from marts.fct_account_health_daily "
        "where as_of_date = ? and health_quadrant is not null",
        [serving.end_date],
    )
    assert len(points) > 20
    chart = at.get("vega_lite_chart")[0].proto
    spec = json.loads(chart.spec)
    assert spec["title"].endswith(f"({len(points):,}): bubbles for the 10 largest by ARR, grey cells for all")
    assert [layer["mark"]["type"] for layer in spec["layer"][:2]] == ["rect", "circle"]
    datasets = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.datasets}
    cells = datasets[spec["layer"][0]["data"]["name"]]
    bubbles = datasets[spec["layer"][1]["data"]["name"]]
    assert int(cells["points"].sum()) == len(points)
    largest = points.assign(arr=points["arr"].fillna(0.0)).nlargest(10, "arr")
    assert sorted(bubbles["arr"]) == sorted(largest["arr"])
    assert_the_picked_quadrant_lists_all_its_accounts(at, serving)


def test_account_page_shows_the_override_beside_the_computed_score(
    serving: Serving, monkeypatch: pytest.MonkeyPatch
):
    account = override_account(serving)
    at = app_test(monkeypatch, serving.path)
    at.query_params["account_id"] = account["account_id"]
    at.switch_page("views/account.py").run()
    assert_clean(at, "account with override")
    text = " ".join(m.value for m in at.markdown)
    assert account["override_reason"] in text
    assert account["created_by_user_id"] in text
    assert f"{pd.Timestamp(account['effective_end_date']):%Y-%m-%d}" in text
    assert metric(at, "Health score").value == ui.score(account["health_score"])
    computed = metric(at, "Computed").value
    assert computed.endswith(str(account["health_band"]).replace("_", " "))
    effective = metric(at, "Effective (roll-ups, segments, alerts)").value
    assert effective.endswith(str(account["effective_health_band"]).replace("_", " "))
    assert any("Play:" in m.value for m in at.markdown), "the quadrant's play"


def test_hierarchy_products_equal_the_product_rollup(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    day = serving.end_date
    root = serving.sql(
        "select account_id from marts.fct_hierarchy_health_daily where as_of_date = ? and hierarchy_depth = 0 "
        "and subtree_account_count > 1 and rollup_method = 'account_count' "
        "order by subtree_account_count desc, account_id limit 1",
        [day],
    ).iloc[0]["account_id"]
    at = app_test(monkeypatch, serving.path)
    at.switch_page("views/hierarchy.py").run()
    at.selectbox(key="hierarchy_root").set_value(root).run()
    assert_clean(at, "hierarchy products")
    expected = serving.sql(
        "select product_id, health_score, member_count from marts.fct_hierarchy_product_health_daily "
        "where account_id = ? and as_of_date = ? and rollup_method = 'contract_value' order by product_id",
        [root, day],
    )
    assert not expected.empty
    table = next(d.value for d in at.dataframe if "health_score_arr" in d.value.columns).set_index(
        "product_id"
    )
    assert sorted(table.index) == list(expected["product_id"])
    for row in expected.itertuples(index=False):
        assert table.at[row.product_id, "health_score_arr"] == pytest.approx(row.health_score, nan_ok=True)
    across = next(d.value for d in at.dataframe if "node" in d.value.columns)
    nodes = serving.sql(
        "select count(*) as n from marts.fct_hierarchy_product_health_daily where root_account_id = ? "
        "and as_of_date = ? and product_id = ? and rollup_method = 'account_count'",
        [root, day, at.selectbox(key="hierarchy_product").value],
    ).iloc[0]["n"]
    assert len(across) == nodes


def test_alerts_page_counts_open_alerts(serving: Serving, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, serving.path)
    at.switch_page("views/alerts.py").run()
    assert_clean(at, "alerts")
    day = serving.end_date
    expected = serving.sql(
        "select count(*) as n from marts.fct_health_alerts "
        "where opened_on <= ? and (resolved_on is null or resolved_on > ?)",
        [day, day],
    ).iloc[0]["n"]
    assert metric(at, "Open alerts").value == f"{int(expected):,}"


def test_pages_degrade_without_optional_marts(bare_serving: Serving, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, bare_serving.path)
    for page in PAGES:
        if page != "views/overview.py":
            at.switch_page(page).run()
        assert_clean(at, page)
        if page in ("views/hierarchy.py", "views/alerts.py", "views/quadrant.py"):
            assert any("not available in this publication" in i.value for i in at.info), page


def test_a_partial_day_is_marked_on_every_page_with_its_computed_at(
    serving: Serving, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Today's figures from an intraday run (is_partial_day) are marked as partial, with
    the time they were computed; a final day carries no such mark."""
    at = app_test(monkeypatch, serving.path)
    assert not any("Partial day" in i.value for i in at.info), "the built days are final"
    path = tmp_path / "partial.duckdb"
    shutil.copyfile(serving.path, path)
    computed_at = dt.datetime.combine(serving.end_date, dt.time(10, 5))
    con = duckdb.connect(str(path))
    try:
        for table in ("fct_account_health_daily", "fct_indicator_scores_daily", "fct_segment_health_daily"):
            con.execute(
                f"update marts.{table} set is_partial_day = true, computed_at = ? where as_of_date = ?",
                [computed_at, serving.end_date],
            )
    finally:
        con.close()
    at = app_test(monkeypatch, path)
    # Definition quality shows back-tests of finished outcomes (nightly marts), no day's
    # figures; the sidebar caption still says the latest day is partial.
    for page in [p for p in PAGES if p != "views/definition_quality.py"]:
        if page != "views/overview.py":
            at.switch_page(page).run()
        assert_clean(at, page)
        notices = [i.value for i in at.info if "Partial day" in i.value]
        assert notices and f"{computed_at:%Y-%m-%d %H:%M} UTC" in notices[0], page
    assert any("is partial: computed 10:05 UTC" in c.value for c in at.sidebar.caption)


def test_without_a_serving_copy_the_app_says_how_to_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, tmp_path / "nothing-published.duckdb")
    assert not at.exception
    assert any("No published serving copy" in e.value for e in at.error)


# --- Real browser ---------------------------------------------------------------------------------


@pytest.fixture
def running_app(serving: Serving, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
        "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = tmp_path / "streamlit.log"
    with server(
        command, PROJECT_DIR, dict(os.environ, HEALTH_SERVING_PATH=str(serving.path)), log
    ) as process:
        wait_until(lambda: http_ok(f"{url}/_stcore/health"), process, 60, "streamlit", log)
        yield url


def test_overview_in_headless_chromium(serving: Serving, running_app: str, tmp_path: Path):
    """The overview's figures in the browser; then every page loads as the browser benchmark
    (benchmarks/dashboard_browser.py) waits for it: its last text shown, every chart drawn."""
    from benchmarks import dashboard_browser

    with browser(tmp_path) as devtools:
        started = time.perf_counter()
        state = wait_for_page(devtools, running_app + "/", "Band distribution", 4)
        load_seconds = time.perf_counter() - started
        png = devtools.screenshot(1400)
        for page, needles in dashboard_browser.PAGES.items():
            assert dashboard_browser.load(devtools, running_app + page, needles) > 0

    text = state["text"]
    assert "Customer health overview" in text
    bands = serving.sql(
        "select effective_health_band as health_band, count(*) as n from marts.fct_account_health_daily "
        "where as_of_date = ? group by 1",
        [serving.end_date],
    )
    counts = dict(zip(bands["health_band"], bands["n"], strict=True))
    for band, label in ui_band_labels().items():
        assert f"{label} {counts.get(band, 0):,}" in text
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, "blank or tiny screenshot"
    screenshot = keep_screenshot(png, "overview.png", tmp_path)
    print(f"overview loaded in {load_seconds:.2f}s; screenshot: {screenshot}")


def test_round_two_pages_in_headless_chromium(serving: Serving, running_app: str, tmp_path: Path):
    """Screenshots: the hierarchy explorer with its products, the relationship x impact chart,
    and an account with a CSM override."""
    root = serving.sql(
        "select account_id from marts.fct_hierarchy_health_daily where as_of_date = ? and hierarchy_depth = 0 "
        "and subtree_account_count > 1 and rollup_method = 'account_count' "
        "order by subtree_account_count desc, account_id limit 1",
        [serving.end_date],
    ).iloc[0]["account_id"]
    account = override_account(serving)
    pages = [
        ("hierarchy_products.png", f"/hierarchy?account_id={root}", "A product across the enterprise", 3),
        ("relationship_impact.png", "/quadrant", "Plays", 1),
        (
            "account_override.png",
            f"/account?account_id={account['account_id']}",
            account["override_reason"],
            2,
        ),
    ]
    with browser(tmp_path, height=2400) as devtools:
        for name, path, needle, charts in pages:
            state = wait_for_page(devtools, running_app + path, needle, charts)
            png = devtools.screenshot(1400)
            assert png.startswith(b"\x89PNG") and len(png) > 20_000, f"{name}: blank or tiny screenshot"
            print(f"{name}: {keep_screenshot(png, name, tmp_path)}")
            if name == "account_override.png":
                assert account["created_by_user_id"] in state["text"]
