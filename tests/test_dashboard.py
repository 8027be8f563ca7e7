"""The executive dashboard (dashboard/) on a published serving copy of a built warehouse.

- Streamlit's AppTest runs every page without exceptions or error boxes, and the figures
  it shows (overview KPIs and band counts, a segment table, one account's score, ARR and
  indicators, a hierarchy node under both roll-up methods, open alerts) equal the marts.
- Without the optional marts (hierarchy, alerts, dim_account) every page still renders
  and says what is missing; without any serving copy the app explains how to publish.
- A real browser: headless Chromium (Debian package `chromium`) loads the running app
  (`streamlit run` on 127.0.0.1), waits for the overview's charts through the DevTools
  protocol, fails on an error box or a blank page, checks the band distribution it shows
  and saves a screenshot (to $DASHBOARD_SCREENSHOT_DIR when set). Skipped with a reason
  when Chromium is not installed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR, Warehouse, run_dbt, window_vars

APP = PROJECT_DIR / "dashboard" / "app.py"
PAGES = {
    "views/overview.py": "Customer health overview",
    "views/segments.py": "Segments",
    "views/hierarchy.py": "Hierarchy explorer",
    "views/account.py": "Account",
    "views/alerts.py": "Alerts",
    "views/definition_quality.py": "Definition quality",
}
OPTIONAL_MARTS = ("fct_hierarchy_health_daily", "fct_health_alerts", "dim_account")
RUN_TIMEOUT = 60
BROWSER_TIMEOUT = 90

sys.path.insert(0, str(APP.parent))
from health_dashboard import ui  # noqa: E402


@dataclass(frozen=True)
class Serving:
    path: Path
    end_date: dt.date

    def sql(self, query: str, params: list[object] | None = None) -> pd.DataFrame:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(query, params or []).df()
        finally:
            con.close()


def _publish(warehouse: Path, serving_dir: Path) -> Path:
    """The serving copy, published the way production does it (customer_health.serving)."""
    try:
        from customer_health.serving import publish
    except ImportError:  # serving module not there yet: copy the public marts plainly
        target = serving_dir / "serving.duckdb"
        serving_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
        try:
            con.execute("attach ? as src (read_only)", [str(warehouse)])
            con.execute("create schema marts")
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'src' and schema_name = 'marts'"
            ).fetchall():
                con.execute(f'create table marts."{name}" as select * from src.marts."{name}"')
        finally:
            con.close()
        return target
    return Path(publish(warehouse, serving_dir))


@pytest.fixture(scope="module")
def serving(built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Serving:
    work = tmp_path_factory.mktemp("dashboard")
    warehouse = built_warehouse.copy_to(work)
    has_dim = duckdb.connect(str(warehouse), read_only=True)
    try:
        dim_built = bool(
            has_dim.execute(
                "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'dim_account'"
            ).fetchone()[0]
        )
    finally:
        has_dim.close()
    if not dim_built:  # dim_account is still behind a var: build it for the names and tree
        variables = window_vars(
            built_warehouse.start_date, built_warehouse.end_date
        )
        run_dbt(["run", "-s", "dim_account", "--vars", variables], warehouse, work)
    return Serving(_publish(warehouse, work / "serving"), built_warehouse.end_date)


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


def app_test(monkeypatch: pytest.MonkeyPatch, serving_path: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HEALTH_SERVING_PATH", str(serving_path))
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.run()
    return at


def assert_clean(at: object, page: str) -> None:
    exceptions = [e.message for e in at.exception]  # type: ignore[attr-defined]
    errors = [e.value for e in at.error]  # type: ignore[attr-defined]
    assert not exceptions, f"{page}: {exceptions}"
    assert not errors, f"{page}: {errors}"


def metric(at: object, label: str) -> object:
    found = [m for m in at.metric if m.label == label]  # type: ignore[attr-defined]
    assert found, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"  # type: ignore[attr-defined]
    return found[0]


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
            coalesce(sum(arr) filter (where health_band = 'poor'), 0) as arr_at_risk,
            sum(arr * health_score) filter (where health_score is not null)
                / sum(arr) filter (where health_score is not null) as weighted
        from marts.fct_account_health_daily where as_of_date = ?
        """,
        [day],
    ).iloc[0]
    assert metric(at, "Customer accounts").value == f"{int(expected['accounts']):,}"
    assert metric(at, "ARR at risk (poor health)").value == ui.money(expected["arr_at_risk"])
    assert metric(at, "ARR-weighted health score").value == ui.score(expected["weighted"])
    bands = serving.sql(
        "select health_band, count(*) as n from marts.fct_account_health_daily where as_of_date = ? group by 1",
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
    shown = at.dataframe[0].value.set_index("indicator_id")
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
    if parents.empty:
        pytest.skip("the generated warehouse has no enterprise with children on the last day")
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
        if page in ("views/hierarchy.py", "views/alerts.py"):
            assert any("not available in this publication" in i.value for i in at.info), page


def test_without_a_serving_copy_the_app_says_how_to_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    at = app_test(monkeypatch, tmp_path / "nothing-published.duckdb")
    assert not at.exception
    assert any("No published serving copy" in e.value for e in at.error)


# --- Real browser ---------------------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_app(serving: Serving, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, HEALTH_SERVING_PATH=str(serving.path))
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text()[-3000:]
                )
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


class DevTools:
    """The few Chrome DevTools Protocol calls the test needs (over `websockets`, a
    dependency of streamlit)."""

    def __init__(self, websocket: object) -> None:
        self._ws = websocket
        self._next = 0

    def call(self, method: str, **params: object) -> dict:
        self._next += 1
        self._ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=30))
            if message.get("id") == self._next:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})


PAGE_STATE = """(() => {
  const all = s => Array.from(document.querySelectorAll(s));
  return JSON.stringify({
    running: all('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]').length,
    exceptions: all('[data-testid="stException"]').map(e => e.innerText.slice(0, 800)),
    errors: all('[data-testid="stAlertContentError"]').map(e => e.innerText.slice(0, 800)),
    charts: all('[data-testid="stVegaLiteChart"]').map(e => {
      const c = e.querySelector('canvas, svg');
      const r = c ? c.getBoundingClientRect() : {width: 0, height: 0};
      return [Math.round(r.width), Math.round(r.height)];
    }),
    text: document.body ? document.body.innerText : ''
  });
})()"""


def test_overview_in_headless_chromium(serving: Serving, running_app: str, tmp_path: Path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium): the real-browser test needs it")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    browser = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1400,1800",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from websockets.sync.client import connect

    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert browser.poll() is None and time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            target = next(t for t in json.load(response) if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=20) as websocket:
            devtools = DevTools(websocket)
            devtools.call("Page.enable")
            started = time.perf_counter()
            devtools.call("Page.navigate", url=running_app + "/")
            deadline = time.monotonic() + BROWSER_TIMEOUT
            while True:
                result = devtools.call("Runtime.evaluate", expression=PAGE_STATE, returnByValue=True)
                state = json.loads(result["result"]["value"])
                assert not state["exceptions"], state["exceptions"]
                assert not state["errors"], state["errors"]
                drawn = [c for c in state["charts"] if c[0] > 0 and c[1] > 0]
                if "Band distribution" in state["text"] and len(drawn) >= 4 and not state["running"]:
                    break
                assert time.monotonic() < deadline, (
                    f"the overview did not finish loading: {state['text'][:2000]}"
                )
                time.sleep(0.25)
            load_seconds = time.perf_counter() - started
            metrics = devtools.call("Page.getLayoutMetrics")
            height = int(metrics["cssContentSize"]["height"])
            shot = devtools.call(
                "Page.captureScreenshot",
                format="png",
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": 1400, "height": max(height, 800), "scale": 1},
            )
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=15)
        except subprocess.TimeoutExpired:
            browser.kill()

    text = state["text"]
    assert "Customer health overview" in text
    bands = serving.sql(
        "select health_band, count(*) as n from marts.fct_account_health_daily where as_of_date = ? group by 1",
        [serving.end_date],
    )
    counts = dict(zip(bands["health_band"], bands["n"], strict=True))
    for band, label in ui_band_labels().items():
        assert f"{label} {counts.get(band, 0):,}" in text
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, "blank or tiny screenshot"
    screenshot = tmp_path / "overview.png"
    screenshot.write_bytes(png)
    keep = os.environ.get("DASHBOARD_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        screenshot = Path(keep) / "overview.png"
        screenshot.write_bytes(png)
    print(f"overview loaded in {load_seconds:.2f}s; screenshot: {screenshot}")
