"""Run the production pipeline (the Dagster code location) from tests, in process.

Settings are environment variables read when the definitions are built, so a run sets
them for its duration (`pipeline_env`) and builds fresh Definitions inside. The Dagster
instance is a real one in a temporary DAGSTER_HOME (the project's dagster.yaml template).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _parse_state

PROJECT_DIR = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def pipeline_env(
    warehouse: Path, work_dir: Path, now: dt.datetime | None = None, **overrides: str
) -> Iterator[dict[str, str]]:
    """The environment of one pipeline world: warehouse, serving copy, Dagster home, clock.
    A world of the project's own dbt project shares dbt's parse state with the other
    worlds of this test process (tests/_parse_state.py)."""
    project = Path(
        overrides.get("HEALTH_DBT_PROJECT_DIR") or os.environ.get("HEALTH_DBT_PROJECT_DIR") or PROJECT_DIR
    )
    with _parse_state.dbt_path(warehouse, "DBT_TARGET_PATH" not in overrides) as (path, shared):
        target = work_dir / "dbt_target"
        if shared:
            _parse_state.seed(target, project)
        with _environment(path, work_dir, now, **overrides) as values:
            yield values
        if shared:
            _parse_state.keep(target, project)


def project_copy(project: Path) -> dict[str, str]:
    """`pipeline_env` overrides that run a changed copy of the dbt project (conftest's
    copy_project) and the manifest `customer_health.manifest.prepare` writes for it."""
    return {
        "HEALTH_DBT_PROJECT_DIR": str(project),
        "HEALTH_DBT_MANIFEST": str(project / "target" / "manifest.json"),
    }


@contextlib.contextmanager
def _environment(
    warehouse: Path, work_dir: Path, now: dt.datetime | None = None, **overrides: str
) -> Iterator[dict[str, str]]:
    from customer_health.config import world_env
    from customer_health.manifest import prepare

    dagster_home = work_dir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    if not (dagster_home / "dagster.yaml").exists():
        shutil.copyfile(PROJECT_DIR / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    values = {
        # Its warehouse; its serving copy, Dagster home, dbt target directory (dagster-dbt
        # writes one per invocation in it) and alert outbox under work_dir.
        **world_env(warehouse, work_dir),
        "HEALTH_DBT_MANIFEST": str(prepare()),
        "HEALTH_DBT_TARGET": "dev",
        "HEALTH_PARTITIONS_START": "2024-01-01",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
    }
    if now is not None:
        values["HEALTH_NOW"] = now.isoformat()
    values.update(overrides)
    saved = {key: os.environ.get(key) for key in [*values, "HEALTH_ALERT_WEBHOOK_URL"]}
    os.environ.pop("HEALTH_ALERT_WEBHOOK_URL", None)
    os.environ.update(values)
    try:
        yield values
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_pipeline(job_name: str, start: dt.date | None = None, end: dt.date | None = None, **tags: str) -> Any:
    """One in-process run of `job_name` on fresh Definitions (call inside pipeline_env)."""
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions
    from orchestration.run import run_job

    return run_job(
        job_name,
        start,
        end,
        defs=build_definitions(),
        dagster_instance=DagsterInstance.get(),
        tags=tags or None,
    )


def assert_success(result: Any) -> None:
    from orchestration.run import failure_messages

    assert result.success, "\n".join(failure_messages(result))


def run_vars_logged(instance: Any, run_id: str) -> list[dict[str, object]]:
    """The run vars the dbt op passed to each invocation (its HEALTH_DBT_RUN_VARS log line)."""
    prefix = "HEALTH_DBT_RUN_VARS="
    return [
        json.loads(entry.user_message.removeprefix(prefix))
        for entry in instance.all_logs(run_id)
        if entry.user_message.startswith(prefix)
    ]
