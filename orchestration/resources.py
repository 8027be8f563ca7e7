"""Dagster resources: the dbt CLI, the warehouse and its serving copy, alert delivery.

Their values come from the environment when the definitions are built
(customer_health/config.py); the webhook URL is a secret and is read from the environment
only when alerts are sent, so it never shows in the Dagster UI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject

from customer_health import config
from customer_health.config import Settings
from orchestration.alerts.delivery import DeliveryLog, Notifier, notifier_from_env


class HealthWarehouse(ConfigurableResource):
    """Where the DuckDB warehouse, its serving copy and the definition seeds live."""

    duckdb_path: str
    serving_dir: str
    seeds_dir: str

    @property
    def path(self) -> Path:
        return Path(self.duckdb_path)

    @property
    def serving(self) -> Path:
        return Path(self.serving_dir)

    @property
    def seeds(self) -> Path:
        return Path(self.seeds_dir)


class AlertDelivery(ConfigurableResource):
    """How alerts leave: webhook (HEALTH_ALERT_WEBHOOK_URL) or the JSON-lines outbox."""

    outbox_path: str
    delivery_log_path: str
    timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_seconds: float = 1.0
    max_age_days: int = 7

    def notifier(self, log: Callable[[str], None]) -> Notifier:
        return notifier_from_env(
            outbox_path=Path(self.outbox_path),
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            log=log,
        )

    def delivery_log(self) -> DeliveryLog:
        return DeliveryLog(Path(self.delivery_log_path))


def build_resources(settings: Settings, project: DbtProject) -> dict[str, object]:
    return {
        "dbt": DbtCliResource(
            project_dir=project,
            profiles_dir=str(settings.project_dir),
            # The venv's dbt by path: `make dagster` and schedulers need no venv on PATH.
            dbt_executable=config.dbt_executable(),
            target=config.env_text("HEALTH_DBT_TARGET", "dev"),
        ),
        "warehouse": HealthWarehouse(
            duckdb_path=str(settings.duckdb_path),
            serving_dir=str(settings.serving_dir),
            seeds_dir=str(settings.seeds_dir),
        ),
        "alert_delivery": AlertDelivery(
            outbox_path=str(settings.outbox_path),
            delivery_log_path=str(settings.delivery_log_path),
            timeout_seconds=settings.webhook_timeout_seconds,
            max_attempts=settings.webhook_max_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            max_age_days=settings.alert_max_age_days,
        ),
    }
