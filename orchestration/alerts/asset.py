"""Alert delivery: newly opened alerts of the published marts, at most once each.

Downstream of the serving publication: alerts leave only after the run's blocking checks
passed, and they are read from the published copy (not the warehouse, which a later run may
be rewriting), so delivery never waits for the warehouse lock.
"""

from collections.abc import Sequence

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from customer_health import serving
from orchestration.alerts.delivery import OPEN_ALERTS_SQL, Alert, deliver
from orchestration.resources import AlertDelivery, HealthWarehouse
from orchestration.serving.publication import PUBLICATION_KEY

DELIVERY_KEY = AssetKey(["alerting", "health_alert_delivery"])


def read_open_alerts(connection: duckdb.DuckDBPyConnection, max_age_days: int) -> list[Alert]:
    rows = connection.execute(OPEN_ALERTS_SQL, [max_age_days]).fetchall()
    names = dict(connection.execute("select account_id, account_name from marts.dim_account").fetchall())
    return [
        Alert(
            alert_id=row[0],
            account_id=row[1],
            alert_type=row[2],
            severity=row[3],
            opened_on=row[4],
            details=row[5],
            account_name=names.get(row[1]),
        )
        for row in rows
    ]


@asset(
    key=DELIVERY_KEY,
    deps=[PUBLICATION_KEY],
    group_name="alerting",
    description=(
        "Sends newly opened alerts of the published fct_health_alerts (open, opened within the "
        "last HEALTH_ALERT_MAX_AGE_DAYS scored days) to the Slack-compatible webhook in "
        "HEALTH_ALERT_WEBHOOK_URL, or to the JSON-lines outbox when it is not set. At most "
        "once per alert_id, across retries and restarts (delivery log in SQLite; see "
        "orchestration/alerts/delivery.py)."
    ),
    kinds={"python", "slack"},
)
def health_alert_delivery(
    context: AssetExecutionContext, warehouse: HealthWarehouse, alert_delivery: AlertDelivery
) -> MaterializeResult:
    connection = serving.connect(warehouse.serving)
    try:
        alerts: Sequence[Alert] = read_open_alerts(connection, alert_delivery.max_age_days)
    finally:
        connection.close()
    notifier = alert_delivery.notifier(log=context.log.warning)
    report = deliver(alerts, notifier, alert_delivery.delivery_log(), run_id=context.run.run_id)
    summary = (
        f"{len(report.delivered)} delivered via {notifier.channel}, "
        f"{report.skipped_already_handled} already handled, {len(report.failed)} failed, "
        f"{len(report.uncertain)} uncertain (not resent), of {report.candidates} open alerts"
    )
    context.log.info(summary)
    if report.uncertain:
        context.log.warning(
            "deliveries with unknown outcome are never resent automatically: "
            + ", ".join(report.uncertain)
            + " (check the channel, then `python -m orchestration.alerts --rearm <id>`)"
        )
    if report.stopped_early:
        context.log.warning("stopped after consecutive failures; the rest waits for the next run")
    if report.failed and not report.delivered:
        # Surface a receiver that is down as a failed step (the alerts stay pending).
        raise RuntimeError(f"alert delivery failed: {summary}")
    return MaterializeResult(
        metadata={
            "channel": notifier.channel,
            "candidates": report.candidates,
            "delivered": len(report.delivered),
            "already_handled": report.skipped_already_handled,
            "failed": len(report.failed),
            "uncertain": len(report.uncertain),
            "delivered_alert_ids": MetadataValue.json(report.delivered[:200]),
            "summary": summary,
        }
    )
