"""Alert delivery (orchestration/alerts): newly opened alerts of the published marts reach
the webhook (or the outbox) at most once, across failures, reruns and process restarts."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
from _pipeline import PROJECT_DIR, pipeline_env
from conftest import BUILD_NOW
from dagster import AssetKey, DagsterInstance, materialize
from test_pipeline import copy_world

DELIVERY = AssetKey(["alerting", "health_alert_delivery"])


def expected_open_alerts(serving_dir: Path, max_age_days: int = 7) -> set[str]:
    """The alert ids the published copy says are newly open (independent of delivery.py)."""
    with duckdb.connect(str(serving_dir / "current.duckdb"), read_only=True) as connection:
        last_day = connection.execute(
            "select max(last_condition_on) from marts.fct_health_alerts"
        ).fetchone()[0]
        rows = connection.execute(
            "select alert_id, is_open, opened_on from marts.fct_health_alerts"
        ).fetchall()
    return {
        alert_id
        for alert_id, is_open, opened_on in rows
        if is_open and (last_day - opened_on).days <= max_age_days
    }


def deliver_in_process() -> None:
    from orchestration.definitions import build_definitions

    defs = build_definitions()
    # The resolved assets definition carries the definitions' resources.
    result = materialize([defs.resolve_assets_def(DELIVERY)], instance=DagsterInstance.get())
    assert result.success


def test_alerts_reach_the_webhook_once_despite_failures_and_restarts(
    built_warehouse,
    webhook_server,
    tmp_path: Path,
):
    warehouse = copy_world(built_warehouse, tmp_path)
    expected = expected_open_alerts(tmp_path / "serving")
    assert expected, "the test dataset should open some alerts"
    webhook_server.fail_first(2)
    url = webhook_server.start()
    log_path = tmp_path / "log.sqlite"
    with pipeline_env(
        warehouse,
        tmp_path,
        now=BUILD_NOW,
        HEALTH_ALERT_WEBHOOK_URL=url,
        HEALTH_ALERT_DELIVERY_LOG=str(log_path),
        HEALTH_ALERT_WEBHOOK_BACKOFF_SECONDS="0.01",
    ):
        deliver_in_process()
        received = webhook_server.alert_ids()
        assert Counter(received) == Counter(expected), "each alert exactly once"
        assert webhook_server.attempts == len(expected) + 2, "two failures were retried"
        body = webhook_server.requests[0]
        assert body["text"] and body["blocks"][0]["type"] == "section"

        deliver_in_process()  # a second run (or a retry of the step)
        assert webhook_server.alert_ids() == received

        # A restart: a new process, new definitions, the same delivery log.
        completed = subprocess.run(
            [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "orchestration.definitions",
             "--select", DELIVERY.to_user_string()],
            cwd=PROJECT_DIR, env=dict(os.environ),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert webhook_server.alert_ids() == received
    with sqlite3.connect(log_path) as connection:
        states = dict(connection.execute("select alert_id, state from alert_deliveries"))
    assert states == {alert_id: "delivered" for alert_id in expected}


def test_an_unknown_outcome_is_never_resent(built_warehouse, webhook_server, tmp_path: Path):
    warehouse = copy_world(built_warehouse, tmp_path)
    expected = expected_open_alerts(tmp_path / "serving")
    webhook_server.hold()  # takes the requests but answers only after the client gave up
    url = webhook_server.start()
    with pipeline_env(
        warehouse,
        tmp_path,
        now=BUILD_NOW,
        HEALTH_ALERT_WEBHOOK_URL=url,
        HEALTH_ALERT_WEBHOOK_TIMEOUT_SECONDS="0.3",
        HEALTH_ALERT_WEBHOOK_BACKOFF_SECONDS="0.01",
    ):
        deliver_in_process()  # three timeouts in a row: stops early
        uncertain = set(webhook_server.arrived)
        assert len(uncertain) == 3
        webhook_server.release()  # the slow receiver did take the three in the end
        deliver_in_process()
    assert Counter(webhook_server.arrived) == Counter(expected), "no alert arrives twice"
    with sqlite3.connect(tmp_path / "deliveries.sqlite") as connection:
        states = dict(connection.execute("select alert_id, state from alert_deliveries"))
    assert {alert_id for alert_id, state in states.items() if state == "sending"} == uncertain


def test_without_a_webhook_alerts_go_to_the_outbox_once(built_warehouse, tmp_path: Path):
    warehouse = copy_world(built_warehouse, tmp_path)
    expected = expected_open_alerts(tmp_path / "serving")
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW):
        deliver_in_process()
        deliver_in_process()
    lines = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text().splitlines()]
    assert Counter(line["alert_id"] for line in lines) == Counter(expected)
    assert all(line["details"] and line["text"] for line in lines)
