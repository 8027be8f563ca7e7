"""The dashboard phase: how long each page of the dashboard takes to compute on the current
publication, as a user's first visit after a publication and as the next visit.

    python -m benchmarks.dashboard_phase --json pages.json [--repeats 3]

The app reads the publication that HEALTH_SERVING_PATH or HEALTH_SERVING_DIR names
(dashboard/health_dashboard/data.py). Streamlit's AppTest runs the app script in this
process as `streamlit run` does for one browser session: the page's queries on the
read-only serving copy, their pandas work and the chart specifications. What the browser
does with them (drawing the charts) is not included; tests/test_dashboard.py loads the pages
in headless Chromium.

- first visit: Streamlit's caches emptied and a new session: what every user meets after a
  publication (the query cache is keyed by the publication file: health_dashboard/data.py);
- next visit: the same page run again in that session (its queries cached).

Each page is measured `--repeats` times; the report holds the median and the spread. A page
that raises or shows an error box fails the phase: a broken page is not a measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
APP = PROJECT_DIR / "dashboard" / "app.py"
# A page that takes longer fails AppTest (a hang, not a slow page).
RUN_TIMEOUT_SECONDS = 600


def pages() -> list[str]:
    """The app's pages, as `st.navigation` in dashboard/app.py names them."""
    return sorted(f"views/{path.name}" for path in (APP.parent / "views").glob("*.py"))


def _timed_run(app_test: object, page: str) -> float:
    started = time.perf_counter()
    app_test.run()  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    problems = [e.message for e in app_test.exception] + [e.value for e in app_test.error]  # type: ignore[attr-defined]
    if problems:
        raise RuntimeError(f"{page}: {problems[0]}")
    return seconds


def _summary(seconds: list[float]) -> dict[str, float | str]:
    ordered = sorted(seconds)
    return {
        "median": round(statistics.median(ordered), 3),
        "spread": f"{ordered[0]:.2f}-{ordered[-1]:.2f}" if len(ordered) > 1 else "",
    }


def measure(repeats: int = 3) -> dict[str, dict[str, dict[str, float | str]]]:
    """{page: {"first_visit": {median, spread}, "next_visit": {...}}} in seconds."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # Imports and Streamlit's own start are paid once, as by a running server.
    AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS).run()
    results = {}
    for page in pages():
        first, again = [], []
        for _ in range(repeats):
            st.cache_data.clear()
            st.cache_resource.clear()
            app_test = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS)
            app_test.switch_page(page)
            first.append(_timed_run(app_test, page))
            again.append(_timed_run(app_test, page))
        results[page] = {"first_visit": _summary(first), "next_visit": _summary(again)}
        print(f"{page:<32} first visit {results[page]['first_visit']['median']:7.2f} s  "
              f"next {results[page]['next_visit']['median']:6.2f} s", flush=True)  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    args.json.write_text(json.dumps(measure(args.repeats), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
