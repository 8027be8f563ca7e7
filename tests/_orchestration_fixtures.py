"""Fixtures and helpers for tests/test_orchestration.py (namespaced: not a conftest).

One small warehouse is generated and built once per module (plain `dbt build` over a
30-day window, without dbt tests, for speed); tests that write copy the DuckDB file.
Dagster runs against a real instance in a temporary DAGSTER_HOME whose dagster.yaml is the
template shipped in orchestration/dagster.yaml (pool duckdb_warehouse limited to 1).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
END_DATE = dt.date(2026, 10, 31)
WINDOW_DAYS = 30
DATASET = {"accounts": 80, "days": 150, "seed": 5, "bad_rows_rate": 0.0}
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def base_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HEALTH_ALERT_WEBHOOK_URL", None)
    env.update(
        {
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "HEALTH_DBT_TARGET": "dev",
            "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR), *filter(None, [env.get("PYTHONPATH")])]),
        }
    )
    env.update(overrides)
    return env


def run(command: list[str], env: dict[str, str], timeout: float = 600) -> str:
    completed = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"{' '.join(command[:4])} ... failed ({completed.returncode}):\n"
            f"{completed.stdout[-5000:]}\n{completed.stderr[-5000:]}"
        )
    return completed.stdout


@dataclass(frozen=True)
class OrchestrationWorld:
    """The module's shared files: manifest, a built warehouse, a Dagster home."""

    root: Path
    manifest_path: Path
    warehouse: Path
    dagster_home: Path
    start_date: dt.date
    end_date: dt.date

    def copy_warehouse(self, name: str) -> Path:
        target = self.root / f"{name}.duckdb"
        shutil.copyfile(self.warehouse, target)
        return target

    def env(self, duckdb_path: Path, **overrides: str) -> dict[str, str]:
        """The environment of `dagster dev` for this world (settings are env vars)."""
        values = {
            "DAGSTER_HOME": str(self.dagster_home),
            "HEALTH_DBT_MANIFEST": str(self.manifest_path),
            # dagster-dbt writes one target dir per dbt invocation under DBT_TARGET_PATH.
            "DBT_TARGET_PATH": str(self.root / "dbt_target"),
            "HEALTH_DUCKDB_PATH": str(duckdb_path),
            "HEALTH_ALERT_OUTBOX_PATH": str(duckdb_path.parent / f"{duckdb_path.stem}.outbox.jsonl"),
            "HEALTH_ALERT_DELIVERY_LOG": str(duckdb_path.parent / f"{duckdb_path.stem}.deliveries.sqlite"),
        }
        values.update(overrides)
        return base_env(**values)


def build_world(root: Path) -> OrchestrationWorld:
    manifest_dir = root / "manifest"
    env = base_env(HEALTH_DBT_TARGET="lint")
    run(
        [
            tool("dbt"),
            "parse",
            "--quiet",
            "--target-path",
            str(manifest_dir),
            "--log-path",
            str(root / "logs"),
        ],
        env,
    )
    from orchestration.project import classify_nodes, load_manifest

    grains = classify_nodes(load_manifest(manifest_dir / "manifest.json"))
    warehouse = root / "warehouse.duckdb"
    run(
        [
            sys.executable,
            "-m",
            "healthgen",
            "--duckdb-path",
            str(warehouse),
            "--accounts",
            str(DATASET["accounts"]),
            "--days",
            str(DATASET["days"]),
            "--seed",
            str(DATASET["seed"]),
            "--bad-rows-rate",
            str(DATASET["bad_rows_rate"]),
            "--end-date",
            END_DATE.isoformat(),
            "--quiet",
        ],
        base_env(),
    )
    start = END_DATE - dt.timedelta(days=WINDOW_DAYS - 1)
    window = json.dumps({"health_start_date": start.isoformat(), "health_end_date": END_DATE.isoformat()})
    run(
        [
            # Only what these tests need (the daily-grain models and the alerts, with their
            # parents), without dbt tests: the rest of the project is other tests' business.
            tool("dbt"),
            "build",
            "--vars",
            window,
            "--select",
            "+fct_health_alerts",
            *(f"+{grains.names[unique_id]}" for unique_id in sorted(grains.daily)),
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
        ],
        base_env(HEALTH_DUCKDB_PATH=str(warehouse)),
    )
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(PROJECT_DIR / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    return OrchestrationWorld(
        root=root,
        manifest_path=manifest_dir / "manifest.json",
        warehouse=warehouse,
        dagster_home=dagster_home,
        start_date=start,
        end_date=END_DATE,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> OrchestrationWorld:
    return build_world(tmp_path_factory.mktemp("orchestration"))


EnvSetter = Callable[..., dict[str, str]]


@pytest.fixture
def use_world_env(world: OrchestrationWorld, monkeypatch: pytest.MonkeyPatch) -> EnvSetter:
    """Set this world's environment in the test process (in-process Dagster runs)."""

    def apply(duckdb_path: Path, **overrides: str) -> dict[str, str]:
        env = world.env(duckdb_path, **overrides)
        for key in ("HEALTH_ALERT_WEBHOOK_URL",):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            if key.startswith(("HEALTH_", "DAGSTER_", "DBT_")):
                monkeypatch.setenv(key, value)
        return env

    return apply


# --------------------------------------------------------------------------- webhook server


@dataclass
class WebhookServer:
    """A Slack-like receiver on 127.0.0.1: records bodies, fails or stalls on demand."""

    fail_first: int = 0
    stall_seconds: float = 0.0
    requests: list[dict] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with server.lock:
                    server.attempts += 1
                    server.arrived.append(json.loads(body)["alert"]["alert_id"])
                    failing = server.attempts <= server.fail_first
                if server.stall_seconds:
                    time.sleep(server.stall_seconds)
                if failing:
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"temporarily unavailable")
                    return
                with server.lock:
                    server.requests.append(json.loads(body))
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up waiting (timeout test)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/hooks/T000/B000/secret"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def alert_ids(self) -> list[str]:
        with self.lock:
            return [request["alert"]["alert_id"] for request in self.requests]


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer()
    yield server
    if hasattr(server, "_httpd"):
        server.stop()
