"""Alert delivery (orchestration/alerts): newly opened alerts of the published marts reach
the webhook (or the outbox) at most once, across failures, reruns and process restarts."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
from _pipeline import PROJECT_DIR, assert_success, pipeline_env, run_pipeline
from conftest import BUILD_NOW
from dagster import AssetKey, DagsterInstance, materialize
from test_pipeline import copy_world

from orchestration.alerts.delivery import Alert, DeliveryLog, WebhookNotifier, deliver

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


# --------------------------------------------------------------------------- day after day


def published_alerts(serving_dir: Path) -> dict[str, tuple]:
    with duckdb.connect(str(serving_dir / "current.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select alert_id, account_id, alert_type, opened_on, is_open from marts.fct_health_alerts"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_the_next_day_delivers_only_newly_opened_alerts_and_ids_stay_stable(built_warehouse, tmp_path: Path):
    """Deliver, run the next day (fct_health_alerts rebuilt), deliver again: the alerts of
    the first day keep their ids, only alerts opened since arrive, resolved ones never."""
    warehouse = copy_world(built_warehouse, tmp_path)
    first_day = published_alerts(tmp_path / "serving")
    next_day = built_warehouse.end_date + dt.timedelta(days=1)
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW):
        deliver_in_process()
        first = {
            json.loads(line)["alert_id"] for line in (tmp_path / "outbox.jsonl").read_text().splitlines()
        }
        assert first == expected_open_alerts(tmp_path / "serving")
        with pipeline_env(warehouse, tmp_path, now=BUILD_NOW + dt.timedelta(days=1)):
            assert_success(run_pipeline("health_daily_job", next_day, next_day))  # delivers too
    second_day = published_alerts(tmp_path / "serving")
    lines = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text().splitlines()]
    sent = Counter(line["alert_id"] for line in lines)
    assert max(sent.values()) == 1, "an alert arrived twice"
    # Ids are stable: every episode of the first day is still there under its alert_id
    # (the new day changes no earlier day, so no opening day moves).
    assert set(first_day) <= set(second_day)
    newly = set(sent) - first
    assert newly == expected_open_alerts(tmp_path / "serving") - first
    for alert_id in sent:  # never a resolved one, never a stale one
        assert alert_id in first_day or second_day[alert_id][3], alert_id


# --------------------------------------------------------------------------- failure paths


def recorded_sleep() -> tuple[list[float], object]:
    waits: list[float] = []
    return waits, waits.append


def some_alerts(count: int) -> list[Alert]:
    return [
        Alert(f"a{i}", f"acc{i}", "health_drop", "high", dt.date(2026, 10, 31), "fell 20 points")
        for i in range(count)
    ]


def test_every_failure_path_reaches_its_documented_state(webhook_server, tmp_path: Path):
    url = webhook_server.start()
    waits, sleep = recorded_sleep()
    notifier = WebhookNotifier(url=url, max_attempts=3, backoff_seconds=0.5, sleep=sleep)
    log = DeliveryLog(tmp_path / "log.sqlite")
    alerts = some_alerts(4)

    # a0: 4xx, refused for good this time (not retried within the run) -> failed
    # a1: 429 with Retry-After: 7 -> waits at least 7 s (the receiver's word), then delivered
    # a2: 5xx three times -> failed after max_attempts
    # a3: 200 at once
    webhook_server.responses = [
        (400, {}),
        (429, {"Retry-After": "7"}),
        (200, {}),
        (503, {}),
        (503, {}),
        (503, {}),
        (200, {}),
    ]
    report = deliver(alerts, notifier, log, max_consecutive_failures=5)
    assert report.failed == ["a0", "a2"] and report.delivered == ["a1", "a3"]
    assert 7.0 in waits and waits.count(0.5) + waits.count(1.0) >= 2
    assert log.states() == {"a0": "failed", "a1": "delivered", "a2": "failed", "a3": "delivered"}

    # The next run retries only what certainly failed; what was delivered stays delivered.
    webhook_server.responses = []
    webhook_server.attempts = 0
    again = deliver(alerts, notifier, log)
    assert again.delivered == ["a0", "a2"] and again.skipped_already_handled == 2
    assert Counter(webhook_server.alert_ids()) == Counter(["a1", "a3", "a0", "a2"])


def test_a_receiver_that_is_down_stops_the_run_early_and_nothing_is_lost(tmp_path: Path):
    from _browser import free_port

    waits, sleep = recorded_sleep()
    notifier = WebhookNotifier(url=f"http://127.0.0.1:{free_port()}/hook", max_attempts=2, sleep=sleep)
    log = DeliveryLog(tmp_path / "log.sqlite")
    report = deliver(some_alerts(5), notifier, log, max_consecutive_failures=3)
    assert report.stopped_early and report.failed == ["a0", "a1", "a2"]
    assert log.states() == {"a0": "failed", "a1": "failed", "a2": "failed"}, "a3, a4 untouched: next run"


def test_a_crash_between_claim_and_answer_sends_nothing_twice(webhook_server, tmp_path: Path):
    url = webhook_server.start()
    log = DeliveryLog(tmp_path / "log.sqlite")
    alerts = some_alerts(3)
    # A process claimed a1 (state `sending`) and died before recording the outcome.
    assert log.claim(alerts[1], "webhook", "crashed-run")
    report = deliver(alerts, WebhookNotifier(url=url, sleep=lambda _: None), log)
    assert report.delivered == ["a0", "a2"] and report.skipped_already_handled == 1
    assert [alert_id for alert_id, _ in log.uncertain()] == ["a1"]
    # An operator who checked the channel re-arms it: then it goes, once.
    assert log.rearm("a1")
    deliver(alerts, WebhookNotifier(url=url, sleep=lambda _: None), log)
    assert Counter(webhook_server.alert_ids()) == Counter(["a0", "a2", "a1"])
