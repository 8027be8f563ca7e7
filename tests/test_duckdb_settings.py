"""Where the warehouse's DuckDB spills (profiles.yml, `settings.temp_directory`).

By default DuckDB's own default, beside the warehouse file (`<file>.tmp`); with
HEALTH_DUCKDB_TEMP_DIRECTORY another directory, for a first build whose sorts spill more
than the warehouse's volume holds (docs/decisions/0008). Read back from the real dbt CLI's
connection with `dbt show`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
from conftest import run_dbt

SETTINGS = (
    "select current_setting('temp_directory') as temp_directory, "
    "(select path from duckdb_databases() where database_name = current_database()) as database_path"
)


def connection_settings(warehouse: Path, work: Path, **env: str) -> dict[str, str]:
    completed = run_dbt(["show", "--inline", SETTINGS, "--output", "json"], warehouse, work, **env)
    [shown] = json.loads(re.search(r"^\{.*^\}", completed.stdout, re.S | re.M).group(0))["show"]
    return shown


def test_dbt_spills_beside_the_warehouse_or_where_the_environment_says(tmp_path):
    warehouse = tmp_path / "health.duckdb"
    duckdb.connect(str(warehouse)).close()
    default = connection_settings(warehouse, tmp_path / "default")
    # dbt may be given the file through a directory symlink (tests/_parse_state.py); DuckDB
    # names the database by its resolved path and the default directory by the given one.
    temp_directory = Path(default["temp_directory"])
    assert temp_directory.name == "health.duckdb.tmp"
    assert temp_directory.parent.resolve() == Path(default["database_path"]).parent == tmp_path

    # Another file name: dbt does not share the tests' parse state for it, so the changed
    # profile does not make the other tests' invocations parse again (tests/_parse_state.py).
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    spill = tmp_path / "spill volume"
    chosen = connection_settings(other, tmp_path / "chosen", HEALTH_DUCKDB_TEMP_DIRECTORY=str(spill))
    assert chosen["temp_directory"] == str(spill)
    assert chosen["database_path"] == str(other)
