"""Where the warehouse's DuckDB spills (profiles.yml, `config_options.temp_directory`).

By default DuckDB's own default, beside the warehouse file (`<file>.tmp`); with
HEALTH_DUCKDB_TEMP_DIRECTORY another directory, for a first build whose sorts spill more
than the warehouse's volume holds (docs/decisions/0008). Read back from the real dbt CLI's
connection with `dbt show`. The directory is set once, when dbt opens the database: DuckDB
refuses to set it again after a spill, and dbt-duckdb applies its `settings` to every new
cursor, so a model after one that spilled failed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
from conftest import copy_project, run_dbt, run_dbt_in

SETTINGS = (
    "select current_setting('temp_directory') as temp_directory, "
    "(select path from duckdb_databases() where database_name = current_database()) as database_path"
)
# A sort larger than the memory limit below: DuckDB spills it to the temporary directory.
SPILLING_MODEL = (
    "{{ config(materialized='table') }}\n"
    "select i, md5(cast(i as varchar)) as m from range(4000000) as t(i) order by m"
)


def shown(completed: subprocess.CompletedProcess[str]) -> dict[str, str]:
    [row] = json.loads(re.search(r"^\{.*^\}", completed.stdout, re.S | re.M).group(0))["show"]
    return row


def test_dbt_spills_beside_the_warehouse_by_default(tmp_path):
    warehouse = tmp_path / "health.duckdb"
    duckdb.connect(str(warehouse)).close()
    default = shown(run_dbt(["show", "--inline", SETTINGS, "--output", "json"], warehouse, tmp_path / "work"))
    # dbt may be given the file through a directory symlink (tests/_parse_state.py); DuckDB
    # names the database by its resolved path and the default directory by the given one.
    temp_directory = Path(default["temp_directory"])
    assert temp_directory.name == "health.duckdb.tmp"
    assert temp_directory.parent.resolve() == Path(default["database_path"]).parent == tmp_path


def test_dbt_spills_where_the_environment_says_and_builds_on_after_a_spill(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    models = project / "models" / "spill_check"
    models.mkdir()
    (models / "spill_check_sorted.sql").write_text(SPILLING_MODEL + "\n")
    (models / "spill_check_after.sql").write_text(
        "select count(*) as n from {{ ref('spill_check_sorted') }}\n"
    )
    warehouse = tmp_path / "health.duckdb"
    spill = tmp_path / "spill volume"
    monkeypatch.setenv("HEALTH_DUCKDB_TEMP_DIRECTORY", str(spill))
    monkeypatch.setenv("HEALTH_DUCKDB_MEMORY_LIMIT", "100MB")

    built = run_dbt_in(
        project, ["run", "--threads", "1", "--select", "spill_check_sorted", "spill_check_after"], warehouse
    )
    assert "PASS=3" in built.stdout  # the project's on-run-start hook and both models
    chosen = shown(run_dbt_in(project, ["show", "--inline", SETTINGS, "--output", "json"], warehouse))
    assert chosen["temp_directory"] == str(spill)
    assert chosen["database_path"] == str(warehouse)
