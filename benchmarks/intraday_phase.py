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

A run under a minute is measured `repeats` times, like every short phase: the world as it
was before the landing is restored (warehouse, serving copies, Dagster home, outbox and
delivery log), the hour lands again and the run repeats; the report gives the medians and
the spread of the run's wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
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


def _world_files(env: dict[str, str], duckdb_path: Path) -> list[Path]:
    """What a landing and an intraday run change: restored between repeats."""
    names = ("HEALTH_SERVING_DIR", "DAGSTER_HOME", "HEALTH_ALERT_OUTBOX_PATH", "HEALTH_ALERT_DELIVERY_LOG")
    return [duckdb_path, Path(f"{duckdb_path}.wal"), *(Path(env[name]) for name in names)]


def _copy(paths: list[Path], source_root: Path | None, target_root: Path | None) -> None:
    """Copy each path that exists from its place (or source_root/name) to target_root/name (or
    its place), replacing what is there."""
    for path in paths:
        source = source_root / path.name if source_root else path
        target = target_root / path.name if target_root else path
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy2(source, target)


def _land_and_run(commands: tuple[list[str], list[str]], env: dict[str, str]) -> tuple[float, float, float]:
    """A repeat: the landing, then the run; (landed at, run wall s, run CPU s)."""
    from benchmarks.measure import run_measured

    run_measured(commands[0], env)
    landed_at = time.time()
    wall, _, cpu = run_measured(commands[1], env)
    return landed_at, wall, cpu


def _latencies(env: dict[str, str], today: dt.date, landed_at: float) -> tuple[float | None, float | None]:
    """Seconds from the landing to the publication holding today's alerts, and to delivery."""
    _, _, published = _serving_alerts(Path(env["HEALTH_SERVING_DIR"]), today)
    _, delivered = _delivered_today(Path(env["HEALTH_ALERT_OUTBOX_PATH"]), today)
    return tuple(  # type: ignore[return-value]
        round(mtime - landed_at, 1) if mtime and mtime > landed_at else None
        for mtime in (published, delivered)
    )


def run_intraday_phase(
    end: dt.date,
    env: dict[str, str],
    work: Path,
    duckdb_path: Path,
    phase: Callable[..., Any],
    repeats: int = 1,
) -> dict[str, Any]:
    """Land an hour, tick and run (`repeats` times when the run takes under a minute);
    returns the figures for the report (and adds the phases)."""
    today = end + dt.timedelta(days=1)
    hour = dt.datetime.combine(today, dt.time(9))
    loaded_at = hour + dt.timedelta(hours=1, minutes=LANDED_MINUTE)
    intraday_env = {
        **env,
        "HEALTH_NOW": f"{today}T10:{TICK_MINUTE:02d}:00",
        "HEALTH_INTRADAY_MIN_INTERVAL_MINUTES": "15",
    }
    python = sys.executable
    land_command = [
        python,
        "-m",
        "healthgen.landing",
        "--duckdb-path",
        str(duckdb_path),
        "--hour",
        hour.isoformat(),
        "--loaded-at",
        loaded_at.isoformat(),
    ]
    run_command = [python, "-m", "orchestration.run", "health_intraday_job", "--tick"]
    world = _world_files(env, duckdb_path)
    before_landing = work / "before_landing"
    if repeats > 1:
        before_landing.mkdir()
        _copy(world, None, before_landing)
    landing = phase("intraday: one hour of events lands", land_command, None, env=intraday_env)
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
        run_command,
        None,
        note="today's partial rows, alerts, checks, publication, delivery",
        env=intraday_env,
    )
    opened, partial, _ = _serving_alerts(Path(env["HEALTH_SERVING_DIR"]), today)
    delivered, _ = _delivered_today(Path(env["HEALTH_ALERT_OUTBOX_PATH"]), today)
    measured = [(run.wall_seconds, run.cpu_seconds, *_latencies(env, today, landed_at))]
    if repeats > 1 and run.wall_seconds < 60:
        for _ in range(repeats - 1):
            _copy(world, before_landing, None)
            again_landed_at, wall, cpu = _land_and_run((land_command, run_command), intraday_env)
            measured.append((round(wall, 2), round(cpu, 1), *_latencies(env, today, again_landed_at)))
        walls = sorted(m[0] for m in measured)
        run.wall_seconds = round(statistics.median(walls), 2)
        run.cpu_seconds = round(statistics.median(m[1] for m in measured), 1)
        run.runs, run.spread = len(measured), f"{walls[0]:.1f}-{walls[-1]:.1f}"

    def median_of(position: int) -> float | None:
        values = [m[position] for m in measured if m[position] is not None]
        return round(statistics.median(values), 1) if values else None

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
        "landing_to_published_seconds": median_of(2),
        "landing_to_delivered_seconds": median_of(3),
        "runs": len(measured),
        "run_wall_seconds_each": [m[0] for m in measured],
        "landing_to_published_seconds_each": [m[2] for m in measured],
    }
    run.note = (
        f"{landed_rows:,} events of {figures['accounts_with_new_events']:,} accounts landed; "
        f"{scored:,} accounts scored (partial); {opened} alerts opened today published "
        f"{figures['landing_to_published_seconds']} s after landing"
    )
    return figures
