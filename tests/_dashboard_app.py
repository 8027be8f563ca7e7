"""The dashboard app under test in tests/test_dashboard.py: where it is and which pages it
has, a serving copy to query (`Serving`), Streamlit's AppTest runs and what they show
(`app_test`, `assert_clean`, `metric`), the account with a CSM override the tests look
up, and the page state a headless browser polls until a page has rendered
(`PAGE_STATE`, `wait_for_page`)."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR

APP = PROJECT_DIR / "dashboard" / "app.py"
PAGES = {
    "views/overview.py": "Customer health overview",
    "views/segments.py": "Segments",
    "views/hierarchy.py": "Hierarchy explorer",
    "views/quadrant.py": "Relationship × impact",
    "views/account.py": "Account",
    "views/alerts.py": "Alerts",
    "views/definition_quality.py": "Definition quality",
}
OPTIONAL_MARTS = (
    "fct_hierarchy_health_daily",
    "fct_health_alerts",
    "dim_account",
    "fct_hierarchy_product_health_daily",
    "fct_product_health_daily",
    "fct_product_indicator_scores_daily",
    "dim_health_quadrant",
    "dim_health_override",
)
RUN_TIMEOUT = 60
BROWSER_TIMEOUT = 90


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


def override_account(serving: Serving) -> pd.Series:
    found = serving.sql(
        """
        select h.account_id, h.health_score, h.health_band, h.effective_health_band, o.override_reason,
            o.created_by_user_id, o.effective_end_date
        from marts.fct_account_health_daily as h
        inner join marts.dim_health_override as o on h.override_id = o.override_id
        where h.as_of_date = ?
        order by (h.effective_health_band <> h.health_band) desc, h.arr desc, h.account_id
        limit 1
        """,
        [serving.end_date],
    )
    assert not found.empty, "the test dataset has an override applying on its last day"
    return found.iloc[0]


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


def wait_for_page(devtools: object, url: str, needle: str, charts: int) -> dict:
    devtools.call("Page.navigate", url=url)  # type: ignore[attr-defined]
    deadline = time.monotonic() + BROWSER_TIMEOUT
    while True:
        state = json.loads(devtools.evaluate(PAGE_STATE))  # type: ignore[attr-defined]
        assert not state["exceptions"], state["exceptions"]
        assert not state["errors"], state["errors"]
        drawn = [c for c in state["charts"] if c[0] > 0 and c[1] > 0]
        if needle in state["text"] and len(drawn) >= charts and not state["running"]:
            return state
        assert time.monotonic() < deadline, f"{url} did not finish loading: {state['text'][:2000]}"
        time.sleep(0.25)  # polling the page until it has rendered
