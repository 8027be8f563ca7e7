"""Shared fixtures: one small generated warehouse, built once per test session.

The build is the production pipeline: the Dagster daily job over the window as one run
(raw checks, dbt build with every data test, the blocking Great Expectations mart
checks, the serving publication, alert delivery), then the weekly job. With pytest-xdist it
happens once for all workers (a file lock guards it), and tests that write copy the DuckDB
file first, so every test sees the same clean build.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import _parse_state
import pytest
from _pipeline import assert_success, pipeline_env, run_pipeline
from _webhook import WebhookServer
from filelock import FileLock

DAILY_JOB = "health_daily_job"
WEEKLY_JOB = "health_weekly_job"

PROJECT_DIR = Path(__file__).resolve().parent.parent
END_DATE = dt.date(2026, 10, 31)
WINDOW_DAYS = 40
DATASET = {"accounts": 120, "days": 240, "seed": 11, "bad_rows_rate": 0.03}


# The project's clock during the build: the morning after the last day of data.
BUILD_NOW = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Warehouse:
    path: Path
    start_date: dt.date
    end_date: dt.date

    @property
    def serving_dir(self) -> Path:
        return self.path.parent / "serving"

    def copy_to(self, directory: Path) -> Path:
        target = directory / _parse_state.NAME  # the name whose worlds share dbt's parsing
        shutil.copyfile(self.path, target)
        return target


def dbt_bin() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


# The vars a pipeline run passes in the environment (macros/run_vars.sql).
RUN_VARS = {"health_start_date", "health_end_date", "recompute_scoring_span"}


def _run_vars_to_environment(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """`--vars` that hold only run vars (the window), moved to HEALTH_DBT_RUN_VARS as the
    pipeline passes them: dbt's parse state holds for one set of `--vars` only."""
    if "--vars" not in args:
        return args, {}
    at = args.index("--vars")
    values = json.loads(args[at + 1])
    if not isinstance(values, dict) or not set(values) <= RUN_VARS:
        return args, {}
    return [*args[:at], *args[at + 2 :]], {"HEALTH_DBT_RUN_VARS": json.dumps(values)}


def run_dbt(
    args: list[str],
    duckdb_path: Path,
    work_dir: Path,
    check: bool = True,
    cli_vars: bool = False,
    while_running: Callable[[subprocess.Popen], None] | None = None,
    project: Path = PROJECT_DIR,
    **env_overrides: str,
) -> subprocess.CompletedProcess[str]:
    """Run the real dbt CLI against `duckdb_path`, with target/log dirs under `work_dir`,
    on the tests' clock (HEALTH_NOW = BUILD_NOW unless the test sets its own). A `build`
    leaves the unit tests out unless it names resource types itself.

    `--vars` of the window only travel as the pipeline passes them, in the environment
    (`cli_vars=True` keeps them on the command line, for tests of that path). Then, and
    without other `--vars`, the invocation shares dbt's parse state with the other worlds
    of this test process (tests/_parse_state.py). `while_running` is called with the dbt
    process once it has started, before its output is read."""
    target = work_dir / "target"
    args, run_vars = ([*args], {}) if cli_vars else _run_vars_to_environment(args)
    if args[0] == "build" and not {"--resource-type", "--exclude-resource-type"} & set(args):
        # As the pipeline builds: unit tests check the SQL, not the data, and run once, on
        # their own (test_dbt_unit_tests.py).
        args += ["--exclude-resource-type", "unit_test"]
    if not {"--target", "-t"} & set(args):
        args += ["--target", "dev"]  # as dagster-dbt passes it: part of the parse state's check
    with _parse_state.dbt_path(duckdb_path, shareable="--vars" not in args) as (path, shared):
        env = {"HEALTH_NOW": BUILD_NOW.isoformat(), **os.environ}
        env.update(
            {
                "HEALTH_DUCKDB_PATH": str(path),
                "DBT_PROFILES_DIR": str(project),
                "DBT_PROJECT_DIR": str(project),
                "HEALTH_DBT_TARGET": "dev",
            }
        )
        env.update(run_vars)
        env.update(env_overrides)
        command = [dbt_bin(), *args, "--target-path", str(target), "--log-path", str(work_dir / "logs")]
        if shared:
            _parse_state.seed(target, project)
        with subprocess.Popen(
            command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            if while_running is not None:
                while_running(process)
            stdout, stderr = process.communicate()
        completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        if shared and completed.returncode == 0:
            _parse_state.keep(target, project)
    if check and completed.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({completed.returncode}):\n"
            f"{completed.stdout[-6000:]}\n{completed.stderr[-2000:]}"
        )
    return completed


def window_vars(start: dt.date, end: dt.date, **extra: object) -> str:
    values = {"health_start_date": start.isoformat(), "health_end_date": end.isoformat()}
    values.update(extra)
    return json.dumps(values)


def generate(duckdb_path: Path, **overrides: object) -> None:
    from healthgen.generator import generate as generate_data

    params = {**DATASET, **overrides}
    generate_data(
        duckdb_path=str(duckdb_path),
        accounts=params["accounts"],
        days=params["days"],
        seed=params["seed"],
        bad_rows_rate=params["bad_rows_rate"],
        end_date=END_DATE,
        quiet=True,
    )


def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by the xdist workers of this test session (and only this one)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


# The order in which `make test` hands whole files to its two workers (--dist loadfile
# --no-loadscope-reorder: collection order). test_pipeline.py goes first: its first test
# builds the session warehouse, while the other worker runs the longest file that needs no
# session warehouse. Then the longest first, which keeps both workers busy to the end.
# Every other file follows in pytest's order. Seconds: one worker's, a whole-suite run on a
# clone of cec1197 (docs/decisions/0007, session 32).
LONGEST_FIRST = (
    "test_pipeline.py",  # 148 and the session warehouse's build, 53
    "test_benchmark_smoke.py",  # 94: a Dagster process per benchmark phase
    "test_faults.py",  # 112 (about 13 less since)
    "test_intraday.py",  # 80: a live day, from the session warehouse to finalisation
    "test_recalculation_paths.py",  # 51
    "test_compare_definitions.py",  # 51
    "test_outcomes_backtest.py",  # 49
    "test_upgrade.py",  # 48
    "test_overrides.py",  # 41
    "test_bad_input.py",  # 40
    "test_alert_delivery.py",  # 34
    "test_dagster_ui.py",  # 32
    "test_daily_scoring_span.py",  # 24
    "test_dbt_unit_tests.py",  # 23
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session", autouse=True)
def _parse_state_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """This process's shared dbt parse state lives in its own pytest temporary directory."""
    _parse_state.ROOT = tmp_path_factory.getbasetemp() / "dbt-parse-state"


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A generated dataset built with `dbt build` over a WINDOW_DAYS window (read-only use)."""
    shared = session_dir(tmp_path_factory) / "built_warehouse"
    shared.mkdir(exist_ok=True)
    start = END_DATE - dt.timedelta(days=WINDOW_DAYS - 1)
    warehouse = Warehouse(shared / "health.duckdb", start, END_DATE)
    with FileLock(str(shared / "build.lock")):
        if not (shared / "done").exists():
            generate(warehouse.path)
            # One account's usage collapses (tests/_intraday_world.py): the live day of
            # tests/test_intraday.py starts from a copy of this warehouse, not a build of its own.
            from _intraday_world import reshape_usage

            reshape_usage(warehouse.path)
            with pipeline_env(warehouse.path, shared, now=BUILD_NOW):
                assert_success(run_pipeline(DAILY_JOB, start, END_DATE))
                assert_success(run_pipeline(WEEKLY_JOB))
            (shared / "done").write_text("ok")
    return warehouse


def copy_project(destination: Path) -> Path:
    """A throw-away copy of the dbt project, for tests that must edit models or seeds."""
    from customer_health.manifest import copy_project as copy_dbt_project

    return copy_dbt_project(destination / "project")


def run_dbt_in(
    project: Path, args: list[str], duckdb_path: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """run_dbt on a project copy (conftest's copy_project), with its target and logs inside
    the copy. Without a parse state of its own, the copy parses partially from the project's:
    only the files it changed (tests/_parse_state.py)."""
    return run_dbt(args, duckdb_path, project, check=check, project=project)


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    """A Slack-like receiver on 127.0.0.1 (tests/_webhook.py), stopped after the test."""
    server = WebhookServer()
    yield server
    if hasattr(server, "_httpd"):
        server.stop()
