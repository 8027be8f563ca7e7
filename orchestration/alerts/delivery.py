"""Delivery of newly opened health alerts: a Slack-compatible webhook or a JSON-lines outbox.

At most once per alert, across retries, run re-executions and process restarts
--------------------------------------------------------------------------------
Every alert goes through a delivery log, a small SQLite file next to the warehouse
(HEALTH_ALERT_DELIVERY_LOG, default <warehouse dir>/alert_deliveries.sqlite):

1. Before anything leaves the process, the alert's row is committed with state `sending`
   (SQLite commits are atomic and durable; `BEGIN IMMEDIATE` serialises two deliverers).
2. The webhook is called. Only failures where the receiver certainly did not accept the
   message are retried, with exponential back-off: the connection could not be
   established, or the receiver answered 429 / 5xx. A 2xx marks the row `delivered`.
3. An outcome we cannot know (a timeout or a dropped connection after the request was
   sent, or a crash of this process between steps 1 and 3) leaves the row in `sending`:
   such an alert is *never* sent again automatically. It is reported as "uncertain" in
   the asset's metadata and logs; an operator who checked the channel can re-arm it with
   `python -m orchestration.alerts --rearm <alert_id>`.
4. Alerts that certainly failed (all attempts refused / 429 / 5xx, or a 4xx answer) are
   marked `failed` and tried again at the next run while they are still open.

Why SQLite next to the warehouse rather than a table in DuckDB: the log must be written
between two steps of an HTTP exchange that can take tens of seconds with back-off; a DuckDB
write needs the single-writer file lock for that whole time (blocking every dbt run), and a
rebuild of the warehouse (`make demo`, a deleted file) would forget what was already sent
and re-send it. SQLite gives per-alert atomic commits without touching the warehouse lock.

Without HEALTH_ALERT_WEBHOOK_URL, alerts are appended to a JSON-lines outbox
(HEALTH_ALERT_OUTBOX_PATH, default <warehouse dir>/alerts_outbox.jsonl), flushed and fsynced
before the row is marked delivered, under the same log.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import sqlite3
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from customer_health import config

WEBHOOK_URL_ENV = "HEALTH_ALERT_WEBHOOK_URL"
SEVERITY_EMOJI = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":white_circle:"}


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # certainly not accepted by the receiver: may be retried later
    UNCERTAIN = "uncertain"  # may have been accepted: never resent automatically


@dataclass(frozen=True)
class Alert:
    alert_id: str
    account_id: str
    alert_type: str
    severity: str
    opened_on: dt.date
    details: str
    account_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "alert_type": self.alert_type,
            "severity": self.severity,
            "opened_on": self.opened_on.isoformat(),
            "details": self.details,
        }

    def slack_text(self) -> str:
        who = self.account_name or self.account_id
        emoji = SEVERITY_EMOJI.get(self.severity, ":white_circle:")
        return (
            f"{emoji} *{self.alert_type.replace('_', ' ')}* ({self.severity}) for *{who}* "
            f"since {self.opened_on.isoformat()}: {self.details}"
        )

    def slack_payload(self) -> dict[str, Any]:
        """Slack incoming-webhook body; `alert` carries the fields for other receivers."""
        return {
            "text": self.slack_text(),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": self.slack_text()}}],
            "alert": self.as_json(),
        }


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    attempts: int
    error: str | None = None


# --------------------------------------------------------------------------- notifiers


class Notifier:
    channel = "none"

    def send(self, alert: Alert) -> SendResult:
        raise NotImplementedError


@dataclass
class WebhookNotifier(Notifier):
    """POST a Slack-compatible JSON body; retries with exponential back-off (see module doc)."""

    url: str
    timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = field(default=lambda message: None)
    channel = "webhook"

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{WEBHOOK_URL_ENV} must be an http(s) URL")
        self._parsed = parsed

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parsed.hostname, self._parsed.port
        assert host is not None
        if self._parsed.scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout_seconds, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(host, port, timeout=self.timeout_seconds)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff_seconds * (2 ** (attempt - 1))
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, self.max_backoff_seconds)

    def send(self, alert: Alert) -> SendResult:
        body = json.dumps(alert.slack_payload()).encode("utf-8")
        path = self._parsed.path or "/"
        if self._parsed.query:
            path += "?" + self._parsed.query
        error = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            connection = self._connection()
            try:
                try:
                    connection.connect()
                except OSError as exc:  # refused, unreachable, connect timeout: nothing sent
                    error = f"connect failed: {exc!r}"
                    retry_after = None
                else:
                    try:
                        connection.request(
                            "POST",
                            path,
                            body=body,
                            headers={
                                "Content-Type": "application/json",
                                "User-Agent": "customer-health-alerts/1",
                                "Idempotency-Key": alert.alert_id,
                            },
                        )
                        response = connection.getresponse()
                        response.read()
                    except (OSError, http.client.HTTPException) as exc:  # incl. TimeoutError
                        # The request may have reached the receiver: never resend.
                        return SendResult(Outcome.UNCERTAIN, attempt, f"no answer: {exc!r}")
                    if 200 <= response.status < 300:
                        return SendResult(Outcome.DELIVERED, attempt)
                    error = f"HTTP {response.status} {response.reason}"
                    if response.status != 429 and response.status < 500:
                        # The receiver refused this message (4xx): retrying will not help.
                        return SendResult(Outcome.FAILED, attempt, error)
                    retry_after = response.getheader("Retry-After")
            finally:
                connection.close()
            if attempt < self.max_attempts:
                delay = self._backoff(attempt, retry_after)
                self.log(f"alert {alert.alert_id}: {error}; retry {attempt + 1} in {delay:.2f}s")
                self.sleep(delay)
        return SendResult(Outcome.FAILED, self.max_attempts, error)


@dataclass
class OutboxNotifier(Notifier):
    """Append one JSON line per alert; fsync before the alert counts as delivered."""

    path: Path
    channel = "outbox"

    def send(self, alert: Alert) -> SendResult:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**alert.as_json(), "text": alert.slack_text()}, ensure_ascii=False)
        try:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            # A partial line may have been written: do not append it twice.
            return SendResult(Outcome.UNCERTAIN, 1, f"outbox write failed: {exc!r}")
        return SendResult(Outcome.DELIVERED, 1)


# --------------------------------------------------------------------------- delivery log


class DeliveryLog:
    """The at-most-once ledger: one row per alert that we ever tried to send."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("pragma journal_mode=wal")
            connection.execute(
                """
                create table if not exists alert_deliveries (
                    alert_id text primary key,
                    state text not null check (state in ('sending', 'delivered', 'failed')),
                    channel text not null,
                    attempts integer not null default 0,
                    first_tried_at text not null,
                    last_tried_at text not null,
                    delivered_at text,
                    last_error text,
                    run_id text,
                    payload text not null
                )
                """
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            connection.execute("pragma synchronous=full")
            yield connection
        finally:
            connection.close()

    @staticmethod
    def _now() -> str:
        return config.now().isoformat(timespec="seconds")

    def states(self) -> dict[str, str]:
        with self._connect() as connection:
            return dict(connection.execute("select alert_id, state from alert_deliveries"))

    def claim(self, alert: Alert, channel: str, run_id: str | None) -> bool:
        """Mark `sending` durably; False when the alert was delivered or may have been."""
        now = self._now()
        with self._connect() as connection:
            connection.execute("begin immediate")
            try:
                row = connection.execute(
                    "select state from alert_deliveries where alert_id = ?", (alert.alert_id,)
                ).fetchone()
                if row is not None and row[0] in ("sending", "delivered"):
                    connection.execute("rollback")
                    return False
                connection.execute(
                    """
                    insert into alert_deliveries
                        (alert_id, state, channel, attempts, first_tried_at, last_tried_at,
                         run_id, payload)
                    values (?, 'sending', ?, 0, ?, ?, ?, ?)
                    on conflict (alert_id) do update set
                        state = 'sending', channel = excluded.channel,
                        last_tried_at = excluded.last_tried_at, run_id = excluded.run_id
                    """,
                    (alert.alert_id, channel, now, now, run_id, json.dumps(alert.as_json())),
                )
                connection.execute("commit")
            except BaseException:
                connection.execute("rollback")
                raise
        return True

    def record(self, alert_id: str, result: SendResult) -> None:
        state = {
            Outcome.DELIVERED: "delivered",
            Outcome.FAILED: "failed",
            Outcome.UNCERTAIN: "sending",
        }[result.outcome]
        now = self._now()
        with self._connect() as connection:
            connection.execute(
                """
                update alert_deliveries
                set state = ?, attempts = attempts + ?, last_tried_at = ?, last_error = ?,
                    delivered_at = case when ? = 'delivered' then ? else delivered_at end
                where alert_id = ?
                """,
                (state, result.attempts, now, result.error, state, now, alert_id),
            )

    def rearm(self, alert_id: str) -> bool:
        """Allow one more delivery of an alert stuck in `sending` (operator decision)."""
        with self._connect() as connection:
            cursor = connection.execute(
                "update alert_deliveries set state = 'failed', last_error = 'rearmed by operator' "
                "where alert_id = ? and state = 'sending'",
                (alert_id,),
            )
            return cursor.rowcount == 1

    def uncertain(self) -> list[tuple[str, str | None]]:
        with self._connect() as connection:
            return list(
                connection.execute(
                    "select alert_id, last_error from alert_deliveries where state = 'sending' "
                    "order by first_tried_at"
                )
            )


# --------------------------------------------------------------------------- delivery


@dataclass
class DeliveryReport:
    candidates: int = 0
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    skipped_already_handled: int = 0
    stopped_early: bool = False


def deliver(
    alerts: Sequence[Alert],
    notifier: Notifier,
    log: DeliveryLog,
    run_id: str | None = None,
    max_consecutive_failures: int = 3,
) -> DeliveryReport:
    """Send each alert at most once; stop after a few consecutive failures (receiver down)."""
    report = DeliveryReport(candidates=len(alerts))
    consecutive_failures = 0
    # Delivered or being sent, in one read: no transaction per alert sent long ago (`claim`
    # still decides every other one under its lock).
    handled = {alert_id for alert_id, state in log.states().items() if state != "failed"}
    for alert in alerts:
        if alert.alert_id in handled or not log.claim(alert, notifier.channel, run_id):
            report.skipped_already_handled += 1
            continue
        result = notifier.send(alert)
        log.record(alert.alert_id, result)
        if result.outcome is Outcome.DELIVERED:
            report.delivered.append(alert.alert_id)
            consecutive_failures = 0
        elif result.outcome is Outcome.UNCERTAIN:
            report.uncertain.append(alert.alert_id)
            consecutive_failures += 1
        else:
            report.failed.append(alert.alert_id)
            consecutive_failures += 1
        if consecutive_failures >= max_consecutive_failures:
            report.stopped_early = True
            break
    return report


def notifier_from_env(
    outbox_path: Path,
    timeout_seconds: float,
    max_attempts: int,
    backoff_seconds: float,
    log: Callable[[str], None] = lambda message: None,
) -> Notifier:
    url = os.environ.get(WEBHOOK_URL_ENV, "").strip()
    if url:
        return WebhookNotifier(
            url=url,
            timeout_seconds=timeout_seconds,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
            log=log,
        )
    return OutboxNotifier(outbox_path)


OPEN_ALERTS_SQL = """
with alerts as (
    select * from marts.fct_health_alerts
),

latest as (
    select max(last_condition_on) as last_day from alerts
)

select alerts.alert_id, alerts.account_id, alerts.alert_type, alerts.severity,
    alerts.opened_on, alerts.details
from alerts
cross join latest
where alerts.is_open
    and alerts.opened_on >= latest.last_day - cast(? as integer)
order by alerts.opened_on, alerts.severity, alerts.account_id, alerts.alert_type
"""


def main(argv: list[str] | None = None) -> int:
    """Operator commands on the delivery log: list uncertain deliveries, re-arm one."""
    from customer_health.config import load_settings

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--log", type=Path, default=None, help="delivery log (default: settings)")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--list-uncertain", action="store_true")
    group.add_argument("--rearm", metavar="ALERT_ID")
    args = parser.parse_args(argv)
    log = DeliveryLog(args.log or load_settings().delivery_log_path)
    if args.list_uncertain:
        for alert_id, error in log.uncertain():
            print(f"{alert_id}\t{error or ''}")
        return 0
    if log.rearm(args.rearm):
        print(f"re-armed {args.rearm}: it will be sent at the next delivery if still open")
        return 0
    print(f"{args.rearm} is not in state 'sending'; nothing to do")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
