"""Paths, environment and the clock: the one place the project reads its settings from.

Every setting is an environment variable with a safe local default (docs/orchestration.md
lists them). They are read when a function here is called, never at import time, so tests
point everything at temporary files by setting the variables first.

The clock: `HEALTH_NOW` (an ISO timestamp, UTC when it carries no offset) replaces "now"
and "today" everywhere in the project (dbt reads the same variable in macros/clock.sql).
Unset means the real clock.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: The Dagster concurrency pool every op that opens the warehouse belongs to: DuckDB allows
#: one writing process per file, and readers cannot open it while a writer holds it.
WAREHOUSE_POOL = "duckdb_warehouse"


def env_text(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env_text(name, str(default))
    try:
        value = int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from error
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def env_float(name: str, default: float) -> float:
    raw = env_text(name, str(default))
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, got {raw!r}") from error


def project_path(path: str | Path) -> Path:
    """A path from a setting: absolute as given, relative to the project directory."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (PROJECT_DIR / candidate)


# ----------------------------------------------------------------------------- the clock


def clock_is_fixed() -> bool:
    """HEALTH_NOW is set: the project runs on a fixed clock (tests, replays)."""
    return bool(os.environ.get("HEALTH_NOW", "").strip())


def now() -> dt.datetime:
    """The project's clock: HEALTH_NOW when set, else the real clock (aware, UTC)."""
    raw = os.environ.get("HEALTH_NOW", "").strip()
    if not raw:
        # The one place the real clock is read (macros/clock.sql is dbt's side).
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"HEALTH_NOW must be an ISO timestamp (UTC), got {raw!r}") from error
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def now_naive() -> dt.datetime:
    """now() without its time zone, the way timestamps are stored (UTC, no zone)."""
    return now().replace(tzinfo=None)


def today() -> dt.date:
    """The UTC day in progress by the project's clock."""
    return now().date()


def yesterday() -> dt.date:
    """The last UTC day that has ended by the project's clock (the default window)."""
    return today() - dt.timedelta(days=1)


# ----------------------------------------------------------------------------- paths


def warehouse_path() -> Path:
    """The DuckDB warehouse file (HEALTH_DUCKDB_PATH, default warehouse/health.duckdb)."""
    return project_path(env_text("HEALTH_DUCKDB_PATH", "warehouse/health.duckdb"))


def serving_dir() -> Path:
    """Where the read-only publications for BI go (HEALTH_SERVING_DIR, default serving/)."""
    return project_path(env_text("HEALTH_SERVING_DIR", "serving"))


def world_env(warehouse: Path, work: Path) -> dict[str, str]:
    """The environment of a separate world (a benchmark, a definition comparison, a test):
    its warehouse file, and under `work` its serving copy, Dagster home, dbt target
    directory, alert outbox and delivery log, so that nothing of the default world is
    touched."""
    return {
        "HEALTH_DUCKDB_PATH": str(warehouse),
        "HEALTH_SERVING_DIR": str(work / "serving"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "DBT_TARGET_PATH": str(work / "dbt_target"),
        "HEALTH_ALERT_OUTBOX_PATH": str(work / "outbox.jsonl"),
        "HEALTH_ALERT_DELIVERY_LOG": str(work / "deliveries.sqlite"),
    }


def dbt_project_dir() -> Path:
    """The dbt project (HEALTH_DBT_PROJECT_DIR, default: this repository)."""
    return project_path(env_text("HEALTH_DBT_PROJECT_DIR", str(PROJECT_DIR)))


def manifest_path() -> Path:
    """dbt's manifest, prepared by `make manifest` (HEALTH_DBT_MANIFEST overrides it)."""
    return project_path(env_text("HEALTH_DBT_MANIFEST", str(dbt_project_dir() / "target" / "manifest.json")))


def seeds_dir() -> Path:
    """The health definition seeds (HEALTH_SEEDS_DIR, default <dbt project>/seeds/definitions)."""
    return project_path(env_text("HEALTH_SEEDS_DIR", str(dbt_project_dir() / "seeds" / "definitions")))


def dbt_executable() -> str:
    """The dbt CLI of this interpreter's environment (the project's venv), else dbt on PATH.

    `make dagster` and the README's commands run the venv's python without the venv on
    PATH; the dbt next to the interpreter is then the one that belongs to it."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found:
        return found
    raise FileNotFoundError(
        f"no dbt executable next to {sys.executable} nor on PATH: run `make install` "
        "(it installs dbt-core into .venv)"
    )


def dbt_env(**overrides: str) -> dict[str, str]:
    """The environment of a dbt subprocess: this one, with the project's profile and path."""
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(dbt_project_dir()))
    env["DBT_PROJECT_DIR"] = str(dbt_project_dir())
    env["HEALTH_DUCKDB_PATH"] = str(warehouse_path())
    env.update(overrides)
    return env


# ----------------------------------------------------------------------------- orchestration


def _parse_time(text: str) -> tuple[int, int]:
    try:
        parsed = dt.datetime.strptime(text, "%H:%M")
    except ValueError as error:
        raise ValueError(f"HEALTH_SCHEDULE_TIME must be HH:MM, got {text!r}") from error
    return parsed.hour, parsed.minute


@dataclass(frozen=True)
class Settings:
    """Everything the orchestration reads from the environment, read once per load."""

    project_dir: Path  # the dbt project
    manifest_path: Path
    duckdb_path: Path
    serving_dir: Path
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
    intraday_min_interval_minutes: int

    @property
    def schedule_cron(self) -> str:
        hour, minute = _parse_time(self.schedule_time)
        return f"{minute} {hour} * * *"

    @property
    def weekly_schedule_cron(self) -> str:
        """Mondays, two hours after the daily tick (the weekly models read its scores)."""
        hour, minute = _parse_time(self.schedule_time)
        return f"{minute} {(hour + 2) % 24} * * 1"


def load_settings() -> Settings:
    """Read the settings now (environment variables documented in docs/orchestration.md)."""
    duckdb_path = warehouse_path()
    warehouse_dir = duckdb_path.parent
    partitions_start = env_text("HEALTH_PARTITIONS_START", "2024-01-01")
    try:
        dt.date.fromisoformat(partitions_start)
    except ValueError as error:
        raise ValueError(f"HEALTH_PARTITIONS_START must be an ISO date, got {partitions_start!r}") from error
    schedule_time = env_text("HEALTH_SCHEDULE_TIME", "02:30")
    _parse_time(schedule_time)
    return Settings(
        project_dir=dbt_project_dir(),
        manifest_path=manifest_path(),
        duckdb_path=duckdb_path,
        serving_dir=serving_dir(),
        seeds_dir=seeds_dir(),
        partitions_start=partitions_start,
        schedule_time=schedule_time,
        schedule_timezone=env_text("HEALTH_SCHEDULE_TIMEZONE", "UTC"),
        recalculation_days=env_int("HEALTH_RECALCULATION_DAYS", 180, minimum=1),
        outbox_path=project_path(
            env_text("HEALTH_ALERT_OUTBOX_PATH", str(warehouse_dir / "alerts_outbox.jsonl"))
        ),
        delivery_log_path=project_path(
            env_text("HEALTH_ALERT_DELIVERY_LOG", str(warehouse_dir / "alert_deliveries.sqlite"))
        ),
        webhook_timeout_seconds=env_float("HEALTH_ALERT_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_max_attempts=env_int("HEALTH_ALERT_WEBHOOK_MAX_ATTEMPTS", 4, minimum=1),
        webhook_backoff_seconds=env_float("HEALTH_ALERT_WEBHOOK_BACKOFF_SECONDS", 1.0),
        alert_max_age_days=env_int("HEALTH_ALERT_MAX_AGE_DAYS", 7, minimum=0),
        intraday_min_interval_minutes=env_int("HEALTH_INTRADAY_MIN_INTERVAL_MINUTES", 15, minimum=0),
    )
