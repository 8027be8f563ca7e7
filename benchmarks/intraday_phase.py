"""Benchmark phase "intraday": one hour of events lands, the intraday path publishes it.

On a warehouse built up to the data's last day (`end`), the project's clock is set to
10:05 of the next day (`today`). One hour of events (09:00-10:00, 1/24 of a day's events,
`healthgen.landing`) lands with `_loaded_at` 10:01; then one process does what the Dagster
daemon does on a tick: the intraday sensor reads the raw high-water marks and requests
health_intraday_job for today, which runs in process (`python -m orchestration.run
health_intraday_job --tick`). Reported: the run's wall and CPU seconds (tick included), and
the time from the landing's commit to the publication holding today's alerts
(`$HEALTH_SERVING_DIR/current.duckdb`) and to their delivery (the outbox). In production
the sensor's tick interval (orchestration/intraday.py: TICK_SECONDS) adds up to that much
before the run starts.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LANDED_MINUTE = 1  # _loaded_at: one minute past the hour after the landed hour
TICK_MINUTE = 5  # the sensor's tick


def _serving_alerts(serving_dir: Path, today: dt.date) -> tuple[int, bool, float | None]:
    """Alerts opened today in the current publication, whether today is partial, its mtime."""
    import duckdb

    from customer_health.serving import current_path

    current = current_path(serving_dir)
    if current is None:
        return 0, False, None
    with duckdb.connect(str(current), read_only=True) as connection:
        opened = connection.execute(
            "select count(*) from marts.fct_health_alerts where opened_on = ? and is_open", [today]
        ).fetchone()
        partial = connection.execute(
            "select bool_and(is_partial_day) from marts.fct_account_health_daily where as_of_date = ?",
            [today],
        ).fetchone()
    return int(opened[0]) if opened else 0, bool(partial and partial[0]), current.stat().st_mtime


def _delivered_today(outbox: Path, today: dt.date) -> tuple[int, float | None]:
    if not outbox.exists():
        return 0, None
    lines = [json.loads(line) for line in outbox.read_text().splitlines() if line.strip()]
    return sum(1 for alert in lines if alert["opened_on"] == today.isoformat()), outbox.stat().st_mtime


def run_intraday_phase(
    end: dt.date,
    env: dict[str, str],
    work: Path,
    duckdb_path: Path,
    phase: Callable[..., Any],
) -> dict[str, Any]:
    """Land an hour, tick and run; returns the figures for the report (and adds the phases)."""
    today = end + dt.timedelta(days=1)
    hour = dt.datetime.combine(today, dt.time(9))
    loaded_at = hour + dt.timedelta(hours=1, minutes=LANDED_MINUTE)
    intraday_env = {
        **env,
        "HEALTH_NOW": f"{today}T10:{TICK_MINUTE:02d}:00",
        "HEALTH_INTRADAY_MIN_INTERVAL_MINUTES": "15",
    }
    python = sys.executable
    landing = phase(
        "intraday: one hour of events lands",
        [
            python,
            "-m",
            "healthgen.landing",
            "--duckdb-path",
            str(duckdb_path),
            "--hour",
            hour.isoformat(),
            "--loaded-at",
            loaded_at.isoformat(),
        ],
        None,
        env=intraday_env,
    )
    landed_at = time.time()
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        row = connection.execute(
            "select count(*) from product.tracks where _loaded_at = ?", [loaded_at]
        ).fetchone()
        accounts = connection.execute(
            "select count(distinct users.account_id) from product.tracks as tracks "
            "inner join product.users as users on tracks.user_id = users.id where tracks._loaded_at = ?",
            [loaded_at],
        ).fetchone()
    landed_rows = int(row[0]) if row else 0
    landing.rows_processed = landed_rows
    run = phase(
        "intraday run (sensor tick + health_intraday_job)",
        [python, "-m", "orchestration.run", "health_intraday_job", "--tick"],
        None,
        note="today's partial rows, alerts, checks, publication, delivery",
        env=intraday_env,
    )
    serving_dir = Path(env["HEALTH_SERVING_DIR"])
    opened, partial, published_mtime = _serving_alerts(serving_dir, today)
    delivered, delivered_mtime = _delivered_today(Path(env["HEALTH_ALERT_OUTBOX_PATH"]), today)
    scored = 0
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        counted = connection.execute(
            "select count(*) from marts.fct_account_health_daily where as_of_date = ?", [today]
        ).fetchone()
        scored = int(counted[0]) if counted else 0
    run.rows_processed = scored
    figures = {
        "today": today.isoformat(),
        "events_landed": landed_rows,
        "accounts_with_new_events": int(accounts[0]) if accounts else 0,
        "accounts_scored_today": scored,
        "today_is_partial_in_publication": partial,
        "alerts_opened_today_published": opened,
        "alerts_opened_today_delivered": delivered,
        "run_wall_seconds": run.wall_seconds,
        "run_cpu_seconds": run.cpu_seconds,
        "landing_to_published_seconds": (
            round(published_mtime - landed_at, 1) if published_mtime and published_mtime > landed_at else None
        ),
        "landing_to_delivered_seconds": (
            round(delivered_mtime - landed_at, 1) if delivered_mtime and delivered_mtime > landed_at else None
        ),
    }
    run.note = (
        f"{landed_rows:,} events of {figures['accounts_with_new_events']:,} accounts landed; "
        f"{scored:,} accounts scored (partial); {opened} alerts opened today published "
        f"{figures['landing_to_published_seconds']} s after landing"
    )
    return figures
