"""Headless Chromium driven over the Chrome DevTools Protocol (with `websockets`, a
dependency of streamlit), and a server process started by a test and polled until ready.

CI installs Chromium and sets HEALTH_REQUIRE_BROWSER (.ci/run): a browser test that cannot
find it fails there; elsewhere it skips with the command that installs it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def chromium_or_skip() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("HEALTH_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (HEALTH_REQUIRE_BROWSER) but not installed")
    pytest.skip("Chromium is not installed (apt-get install -y chromium): the real-browser test needs it")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen, timeout: float, what: str, log: Path
) -> None:
    """Poll `ready()` until it holds; fail early when the process died."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start:\n" + log.read_text()[-4000:])
        time.sleep(0.3)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def server(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """The server in a process group of its own, stopped with everything it started:
    `dagster dev` starts a webserver and a daemon, which outlived a killed parent."""
    with log.open("w") as handle:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # children that are still there
            process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


class DevTools:
    """The few Chrome DevTools Protocol calls the tests need."""

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

    def evaluate(self, expression: str) -> object:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def screenshot(self, width: int, minimum_height: int = 800) -> bytes:
        height = int(self.call("Page.getLayoutMetrics")["cssContentSize"]["height"])
        shot = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": max(height, minimum_height), "scale": 1},
        )
        return base64.b64decode(shot["data"])


@contextlib.contextmanager
def browser(tmp_path: Path, width: int = 1400, height: int = 1800) -> Iterator[DevTools]:
    """A headless Chromium with a fresh profile, and a DevTools session on its page."""
    chromium = chromium_or_skip()
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    process = subprocess.Popen(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            f"--window-size={width},{height}", "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    from websockets.sync.client import connect

    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None and time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            target = next(t for t in json.load(response) if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=20) as websocket:
            devtools = DevTools(websocket)
            devtools.call("Page.enable")
            yield devtools
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def keep_screenshot(png: bytes, name: str, tmp_path: Path) -> Path:
    """Write a screenshot under tmp_path, and to $SCREENSHOT_DIR when set (docs, notes)."""
    path = tmp_path / name
    path.write_bytes(png)
    keep = os.environ.get("SCREENSHOT_DIR") or os.environ.get("DASHBOARD_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        path = Path(keep) / name
        path.write_bytes(png)
    return path
