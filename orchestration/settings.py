"""Settings read from environment variables, each with a safe local default.

Read when the definitions are built or when a sensor/asset runs, never at import time of a
module that other code imports for its types, so tests can point everything at temporary
files by setting the variables first.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: The Dagster concurrency pool every warehouse-writing (or -reading) op belongs to.
#: DuckDB allows one writing process per file; the instance limits this pool to 1 slot.
WAREHOUSE_POOL = "duckdb_warehouse"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from error
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, got {raw!r}") from error


def _resolve(path: str) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (PROJECT_DIR / candidate)


@dataclass(frozen=True)
class Settings:
    """Everything the orchestration reads from the environment."""

    project_dir: Path
    manifest_path: Path
    duckdb_path: Path
    seeds_dir: Path
    partitions_start: str
    schedule_time: str
    schedule_timezone: str
    recalculation_days: int
    outbox_path: Path
    delivery_log_path: Path
    webhook_timeout_seconds: float
    webhook_max_attempts: int
    webhook_backoff_seconds: float
    alert_max_age_days: int

    @property
    def schedule_cron(self) -> str:
        hour, minute = _parse_time(self.schedule_time)
        return f"{minute} {hour} * * *"

    @property
    def weekly_schedule_cron(self) -> str:
        """Mondays, two hours after the daily tick (the weekly models read its scores)."""
        hour, minute = _parse_time(self.schedule_time)
        return f"{minute} {(hour + 2) % 24} * * 1"


def _parse_time(text: str) -> tuple[int, int]:
    try:
        parsed = dt.datetime.strptime(text, "%H:%M")
    except ValueError as error:
        raise ValueError(f"HEALTH_SCHEDULE_TIME must be HH:MM, got {text!r}") from error
    return parsed.hour, parsed.minute


def load_settings() -> Settings:
    """Read the settings now (environment variables documented in docs/orchestration.md)."""
    duckdb_path = _resolve(_env("HEALTH_DUCKDB_PATH", "warehouse/health.duckdb"))
    warehouse_dir = duckdb_path.parent
    partitions_start = _env("HEALTH_PARTITIONS_START", "2024-01-01")
    try:
        dt.date.fromisoformat(partitions_start)
    except ValueError as error:
        raise ValueError(f"HEALTH_PARTITIONS_START must be an ISO date, got {partitions_start!r}") from error
    schedule_time = _env("HEALTH_SCHEDULE_TIME", "02:30")
    _parse_time(schedule_time)
    return Settings(
        project_dir=PROJECT_DIR,
        manifest_path=_resolve(_env("HEALTH_DBT_MANIFEST", "target/manifest.json")),
        duckdb_path=duckdb_path,
        seeds_dir=_resolve(_env("HEALTH_SEEDS_DIR", "seeds/definitions")),
        partitions_start=partitions_start,
        schedule_time=schedule_time,
        schedule_timezone=_env("HEALTH_SCHEDULE_TIMEZONE", "UTC"),
        recalculation_days=_env_int("HEALTH_RECALCULATION_DAYS", 180, minimum=1),
        outbox_path=_resolve(_env("HEALTH_ALERT_OUTBOX_PATH", str(warehouse_dir / "alerts_outbox.jsonl"))),
        delivery_log_path=_resolve(
            _env("HEALTH_ALERT_DELIVERY_LOG", str(warehouse_dir / "alert_deliveries.sqlite"))
        ),
        webhook_timeout_seconds=_env_float("HEALTH_ALERT_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_max_attempts=_env_int("HEALTH_ALERT_WEBHOOK_MAX_ATTEMPTS", 4, minimum=1),
        webhook_backoff_seconds=_env_float("HEALTH_ALERT_WEBHOOK_BACKOFF_SECONDS", 1.0),
        alert_max_age_days=_env_int("HEALTH_ALERT_MAX_AGE_DAYS", 7, minimum=0),
    )
