"""The command lines report a bad argument as a usage error (argparse: exit 2, the reason on
stderr, no traceback) before they do any work: `python -m orchestration.run`,
`python -m orchestration.demo` (`make demo`) and `python -m healthgen`; and they print
every cause of a failed run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

from healthgen.__main__ import main as healthgen_main
from orchestration.demo import main as demo_main
from orchestration.run import main as run_main


def usage_error(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    return error


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["health_daily_job", "--start", "2026-11-30", "--end", "2026-11-01"], "is after health_end_date"),
        (["health_daily_job", "--start", "2026-13-01"], "is not a calendar date"),
        (["health_recalculation_job", "--start", "yesterday"], "must be an ISO date (YYYY-MM-DD)"),
        (["no_such_job"], "invalid choice: 'no_such_job'"),
        (["health_daily_job", "--tick"], "--tick: no sensor launches health_daily_job"),
        # The partitions: HEALTH_PARTITIONS_START to today by the clock (HEALTH_NOW below).
        (
            ["health_daily_job", "--start", "2026-11-02"],
            "the window 2026-11-02..2026-11-02 is outside the days health_daily_job can build, 2024-01-01..2026-11-01",
        ),
        (["health_recalculation_job", "--start", "2023-12-31", "--end", "2024-01-05"], "is outside the days"),
        (["health_weekly_job", "--start", "2026-10-01"], "health_weekly_job runs without a window"),
        (["health_calibration_job", "--start", "2026-10-01"], "health_calibration_job runs without a window"),
    ],
)
def test_a_run_with_a_bad_window_or_job_is_a_usage_error(argv, reason, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("HEALTH_NOW", "2026-11-01T06:00:00+00:00")
    monkeypatch.setenv("HEALTH_PARTITIONS_START", "2024-01-01")
    assert reason in usage_error(run_main, argv, capsys)
    assert not (tmp_path / "dagster_home").exists(), "stopped before the instance was opened"


def test_the_generator_and_the_demo_refuse_a_bad_size_before_touching_the_warehouse(
    capsys, monkeypatch, tmp_path: Path
):
    warehouse = tmp_path / "health.duckdb"
    warehouse.write_text("the warehouse of an earlier demo")
    monkeypatch.setenv("HEALTH_DUCKDB_PATH", str(warehouse))
    for argv, reason in (
        (["--accounts", "0"], "need at least 1 account and 30 days (got 0 accounts, 400 days)"),
        (["--days", "10"], "need at least 1 account and 30 days"),
        (["--bad-rows-rate", "0.9"], "the bad rows rate must be in [0, 0.5) (got 0.9)"),
        (["--events-per-user-day", "0"], "events per user-day must be in [1, 100]"),
    ):
        assert reason in usage_error(healthgen_main, ["--duckdb-path", str(warehouse), *argv], capsys)
    monkeypatch.setenv("HEALTH_NOW", "2026-11-01T06:00:00+00:00")
    for argv, reason in (
        (["--accounts", "0"], "need at least 1 account"),
        (["--window-days", "0"], "--window-days must be at least 1 (got 0)"),
        (["--end-date", "2026-11-02", "--window-days", "5"], "the window 2026-10-29..2026-11-02 is outside"),
    ):
        assert reason in usage_error(demo_main, argv, capsys)
    assert warehouse.read_text() == "the warehouse of an earlier demo", "nothing was deleted or written"


def test_the_demo_on_a_fresh_clone_prepares_the_manifest_before_it_checks_the_window(tmp_path: Path):
    """`make demo` on a fresh clone has no dbt manifest yet: the demo prepares it before it
    loads the code location (a new process, so nothing is imported yet)."""
    manifest = tmp_path / "target" / "manifest.json"
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.demo", "--end-date", "2026-11-02", "--window-days", "5"],
        cwd=PROJECT_DIR,
        env={
            **os.environ,
            "HEALTH_DBT_MANIFEST": str(manifest),
            "HEALTH_NOW": "2026-11-01T06:00:00+00:00",
            "HEALTH_DUCKDB_PATH": str(tmp_path / "health.duckdb"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr and "is outside the days" in completed.stderr
    assert manifest.exists() and not (tmp_path / "health.duckdb").exists()


def test_a_failed_runs_message_keeps_every_cause_of_a_long_error():
    """`make demo` and `python -m orchestration.run` print why a run failed. dagster-dbt's
    error quotes the whole dbt command (over 8,000 characters with a subset's `--select`):
    it is abridged on its own, and the causes after it are printed whole."""
    from types import SimpleNamespace

    from orchestration.run import failure_messages

    command = "dbt build --select " + " ".join(f"customer_health.model_{n}" for n in range(400))
    cause = SimpleNamespace(message=f"The dbt CLI process with command `{command}` failed", cause=None)
    cause.cause = SimpleNamespace(
        message="Failure in test column_values_fct_account_health_daily", cause=None
    )
    error = SimpleNamespace(message='Error occurred while executing op "health_dbt":', cause=cause)
    failed_step = SimpleNamespace(
        is_step_failure=True,
        step_failure_data=SimpleNamespace(error=error),
        step_key="health_dbt",
        event_type_value="STEP_FAILURE",
    )
    [message] = failure_messages(SimpleNamespace(all_events=[failed_step]))
    assert message.startswith('health_dbt: Error occurred while executing op "health_dbt": Caused by: ')
    assert "customer_health.model_1 " in message and "customer_health.model_399` failed" in message
    assert "customer_health.model_200 " not in message, "the middle of the command is left out"
    assert message.endswith("Caused by: Failure in test column_values_fct_account_health_daily")
