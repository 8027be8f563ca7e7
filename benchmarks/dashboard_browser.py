"""The dashboard in a real browser: how long each page takes to load in headless Chromium
on a publication, charts drawn included (benchmarks/dashboard_phase.py measures the page
scripts alone, without the browser).

    python -m benchmarks.dashboard_browser --serving-dir DIR --json pages.json [--repeats 3]

It starts `streamlit run dashboard/app.py` on the serving directory (HEALTH_SERVING_DIR)
and drives Chromium through the DevTools protocol with the tests' harness
(tests/_browser.py, tests/_dashboard_app.py). A page has loaded when its main area shows
the text its script writes last, no script runs, every chart is drawn, and that state holds
for three polls 0.1 s apart; the time is from the navigation to the first of those polls.
Each navigation is a full load of Streamlit's front end (a new session):

- first visit: the first load of the page after the server started (its queries not cached);
- next visit: the page loaded again (its queries cached by the server).

Each repeat starts a new server. The report holds the median and the spread per page; a page
that shows an exception or an error box, or does not load within 5 minutes, fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR / "tests"))
from _browser import DevTools, browser, free_port, http_ok, server, wait_until  # noqa: E402
from _dashboard_app import PAGE_STATE  # noqa: E402

# Each page's URL and what its main area shows once its script has run to the end.
PAGES = {
    "/": ("Largest accounts in poor health",),
    "/segments": ("Last 180 days",),
    "/hierarchy": ("Children",),
    "/quadrant": ("Accounts in quadrant",),
    "/account": (" resolved.", "No alert was ever opened"),
    "/alerts": ("Alert list",),
    "/definition_quality": ("Latest calibration",),
}
MAIN_TEXT = """(() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return main ? main.innerText : '';
})()"""
POLL_SECONDS = 0.1
STABLE_POLLS = 3
TIMEOUT_SECONDS = 300


def load(devtools: DevTools, url: str, needles: tuple[str, ...]) -> float:
    """Seconds from navigating to `url` until the page has loaded (module docstring)."""
    started = time.perf_counter()
    devtools.call("Page.navigate", url=url)
    previous, streak, first_stable = None, 0, 0.0
    while time.perf_counter() - started < TIMEOUT_SECONDS:
        state = json.loads(devtools.evaluate(PAGE_STATE))
        if state["exceptions"] or state["errors"]:
            raise RuntimeError(f"{url}: {(state['exceptions'] or state['errors'])[0]}")
        main = devtools.evaluate(MAIN_TEXT) or ""
        drawn = [c for c in state["charts"] if c[0] > 0 and c[1] > 0]
        ready = (
            any(needle in main for needle in needles)
            and not state["running"]
            and len(drawn) == len(state["charts"])
        )
        seen = (main, tuple(map(tuple, state["charts"])))
        if ready and seen == previous:
            streak += 1
        elif ready:
            streak, first_stable = 1, time.perf_counter() - started
        else:
            streak = 0
        previous = seen
        if streak >= STABLE_POLLS:
            return first_stable
        time.sleep(POLL_SECONDS)  # polling the page until it has loaded
    raise RuntimeError(f"{url} did not load within {TIMEOUT_SECONDS} s")


def measure(serving_dir: Path, repeats: int) -> dict[str, dict[str, dict[str, float | str]]]:
    """{page: {"first_visit": {median, spread}, "next_visit": {...}}} in seconds."""
    seconds: dict[str, dict[str, list[float]]] = {page: {"first": [], "next": []} for page in PAGES}
    with tempfile.TemporaryDirectory(prefix="dashboard-browser-") as scratch:
        work = Path(scratch)
        for _ in range(repeats):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            command = [
                sys.executable, "-m", "streamlit", "run", str(PROJECT_DIR / "dashboard" / "app.py"),
                "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            ]  # fmt: skip
            env = dict(os.environ, HEALTH_SERVING_DIR=str(serving_dir))
            log = work / "streamlit.log"
            with server(command, PROJECT_DIR, env, log) as process:
                health = f"{base}/_stcore/health"
                wait_until(lambda url=health: http_ok(url), process, 60, "streamlit", log)
                with browser(work) as devtools:
                    for page, needles in PAGES.items():
                        seconds[page]["first"].append(load(devtools, base + page, needles))
                        seconds[page]["next"].append(load(devtools, base + page, needles))
                        print(f"{page:<22} first visit {seconds[page]['first'][-1]:6.2f} s  "
                              f"next {seconds[page]['next'][-1]:6.2f} s", flush=True)  # fmt: skip
    return {
        page: {"first_visit": _summary(times["first"]), "next_visit": _summary(times["next"])}
        for page, times in seconds.items()
    }


def _summary(seconds: list[float]) -> dict[str, float | str]:
    ordered = sorted(seconds)
    return {
        "median": round(statistics.median(ordered), 3),
        "spread": f"{ordered[0]:.2f}-{ordered[-1]:.2f}" if len(ordered) > 1 else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-dir", type=Path, required=True, help="the publication's serving directory")
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    results = measure(args.serving_dir, args.repeats)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print("| page | first visit | spread | next visit | spread |\n|---|---:|---|---:|---|")
    for page, r in results.items():
        first, again = r["first_visit"], r["next_visit"]
        print(f"| {page} | {first['median']:.2f} | {first['spread']} "
              f"| {again['median']:.2f} | {again['spread']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
