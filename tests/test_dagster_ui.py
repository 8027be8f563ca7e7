"""`make dagster` for a newcomer: the code location loads in the Dagster UI without the
virtualenv on PATH, and the asset graph renders (headless Chromium, with a screenshot)."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

from _browser import browser, free_port, http_ok, keep_screenshot, server, wait_until
from _pipeline import PROJECT_DIR, pipeline_env

LOCATION_STATUS = {
    "query": "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
    "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
}


def location_status(url: str) -> list[dict]:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps(LOCATION_STATUS).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]["workspaceOrError"]["locationEntries"]


def test_the_code_location_loads_in_the_ui_without_the_venv_on_path(built_warehouse, tmp_path: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    venv_bin = str(Path(sys.executable).parent)
    with pipeline_env(built_warehouse.path, tmp_path):
        env = dict(os.environ)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    env.pop("VIRTUAL_ENV", None)
    log = tmp_path / "dagster.log"
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    with server(command, PROJECT_DIR, env, log) as process:
        wait_until(lambda: http_ok(f"{url}/server_info"), process, 120, "dagster dev", log)
        deadline = time.monotonic() + 120
        while True:  # polling until the code location has finished loading
            entries = location_status(url)
            if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                break
            assert time.monotonic() < deadline, entries
            time.sleep(0.5)
        [entry] = entries
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry

        with browser(tmp_path, width=1600, height=1000) as devtools:
            devtools.call("Page.navigate", url=f"{url}/asset-groups")
            deadline = time.monotonic() + 90
            while True:
                text = devtools.evaluate("document.body ? document.body.innerText : ''") or ""
                groups = {"raw", "staging", "intermediate", "marts", "quality", "serving", "alerting"}
                if "Global asset lineage" in text and groups <= set(text.split()):
                    break
                assert time.monotonic() < deadline, text[:2000]
                time.sleep(0.5)
            # The picture once the lineage graph has laid out: the same drawn SVG elements and
            # the same size on two reads in a row (an event, not a fixed wait).
            layout = "JSON.stringify([document.querySelectorAll('svg *').length, document.body.scrollHeight])"
            previous = None
            while True:
                current = devtools.evaluate(layout)
                if current == previous and json.loads(current)[0] > 0:
                    break
                assert time.monotonic() < deadline, f"the lineage graph never settled: {current}"
                previous = current
                time.sleep(0.5)  # polling the layout
            png = devtools.screenshot(1600, 1000)
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, "blank or tiny screenshot"
    print(f"asset graph screenshot: {keep_screenshot(png, 'dagster-asset-graph.png', tmp_path)}")
