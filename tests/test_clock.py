"""One clock (docs/decisions/0402-one-clock.md): HEALTH_NOW replaces "now" and "today"
everywhere, read in customer_health/config.py (Python) and macros/clock.sql (dbt) only."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from customer_health import config

PROJECT_DIR = Path(__file__).resolve().parent.parent
CLOCK_FILES = {Path("customer_health/config.py"), Path("macros/clock.sql")}
PYTHON_CLOCK = re.compile(r"\b(datetime\.now|date\.today|utcnow|Timestamp\.(now|today)|time\.localtime)\b")
SQL_CLOCK = re.compile(r"\b(current_timestamp|current_date|now\(\)|get_current_time|localtimestamp)\b", re.I)


def project_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [Path(name) for name in listed if name.endswith((".py", ".sql")) and (PROJECT_DIR / name).exists()]


def test_only_the_clock_modules_read_the_real_clock():
    offenders = []
    for path in project_files():
        if path in CLOCK_FILES or path.parts[0] == "tests":
            continue
        pattern = PYTHON_CLOCK if path.suffix == ".py" else SQL_CLOCK
        for number, line in enumerate((PROJECT_DIR / path).read_text().splitlines(), start=1):
            if pattern.search(line.split("--")[0] if path.suffix == ".sql" else line.split("#")[0]):
                offenders.append(f"{path}:{number}: {line.strip()}")
    assert not offenders, "use customer_health.config / macros/clock.sql:\n" + "\n".join(offenders)


def test_health_now_is_the_clock_and_unset_is_the_real_one(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HEALTH_NOW", "2026-11-01T10:05:00")
    assert config.clock_is_fixed()
    assert config.now() == dt.datetime(2026, 11, 1, 10, 5, tzinfo=dt.UTC)
    assert (config.today(), config.yesterday()) == (dt.date(2026, 11, 1), dt.date(2026, 10, 31))
    monkeypatch.setenv("HEALTH_NOW", "2026-11-01T23:30:00-02:00")  # an offset: converted to UTC
    assert config.today() == dt.date(2026, 11, 2)
    monkeypatch.delenv("HEALTH_NOW")
    assert not config.clock_is_fixed()
    assert abs(config.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    monkeypatch.setenv("HEALTH_NOW", "tomorrow")
    with pytest.raises(ValueError, match="HEALTH_NOW"):
        config.now()


def test_partitions_and_the_schedule_follow_health_now(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from _pipeline import pipeline_env
    from dagster import DagsterInstance, build_schedule_context

    with pipeline_env(tmp_path / "none.duckdb", tmp_path, now=dt.datetime(2026, 11, 1, 10, 5)):
        from customer_health.config import load_settings
        from orchestration.definitions import build_definitions, daily_partitions

        assert daily_partitions(load_settings()).get_last_partition_key() == "2026-11-01"
        defs = build_definitions()
        schedule = defs.resolve_schedule_def("health_daily_schedule")
        tick = schedule.evaluate_tick(
            build_schedule_context(
                instance=DagsterInstance.get(),
                # Whenever the daemon ticks, the fixed clock decides which day is yesterday.
                scheduled_execution_time=dt.datetime(2026, 12, 2, 2, 30, tzinfo=dt.UTC),
                repository_def=defs.get_repository_def(),
            )
        )
        assert [request.partition_key for request in tick.run_requests] == ["2026-10-31"]
