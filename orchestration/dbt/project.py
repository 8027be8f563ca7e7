"""The dbt project as Dagster sees it.

The manifest is prepared ahead of time (`make manifest`: `dbt parse` on the in-memory
`lint` target) and read by customer_health.manifest; loading the definitions never runs
dbt, except under `dagster dev`, where a stale manifest is re-prepared first (by the
project's own step, which calls the venv's dbt by path: DbtProject.prepare_if_dev() runs
`dbt` from PATH, which a newcomer's shell does not have).
"""

from __future__ import annotations

import os

from dagster_dbt import DbtProject

from customer_health import manifest
from customer_health.config import Settings


def dbt_project(settings: Settings) -> DbtProject:
    if os.environ.get("DAGSTER_IS_DEV_CLI"):
        manifest.prepare(settings.manifest_path)
    # target_path may be absolute (HEALTH_DBT_MANIFEST outside the project).
    return DbtProject(
        project_dir=settings.project_dir,
        profiles_dir=settings.project_dir,
        target_path=settings.manifest_path.parent,
        target="lint",  # for preparing the manifest only; runs use the resource's target
    )
