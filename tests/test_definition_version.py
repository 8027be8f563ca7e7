"""customer_health.definitions.definition_version() equals the SQL model's value.

The Dagster sensor compares the version computed from the CSV files (no warehouse, no dbt)
with the one stamped on the scores by int_health_definition_version; both must agree
byte for byte, on the real seeds and on awkward but valid spellings of the same values.
"""

from __future__ import annotations

import copy
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import copy_project, run_dbt

from customer_health.definitions import definition_seeds, definition_text, definition_version
from customer_health.manifest import load_manifest, prepare

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).with_name("dbt"))


DEFINITION_BUILD = [
    "build",
    "--select",
    "tag:health_definitions",
    "int_health_definition_errors",
    "int_health_definition_version",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]
VERSIONS_SQL = (
    "select definition_version, indicators_definition_version, scoring_definition_version "
    "from intermediate.int_health_definition_version"
)


@pytest.fixture(scope="module")
def repository_versions(tmp_path_factory) -> tuple[str, str, str]:
    """The SQL model's versions of the repository's own seeds (the project itself, whose
    parse the test process shares: no copy to parse)."""
    work = tmp_path_factory.mktemp("repository_definitions")
    warehouse = work / "definitions.duckdb"
    run_dbt(DEFINITION_BUILD, warehouse, work)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(VERSIONS_SQL).fetchone()


def sql_definition_version(project: Path, work: Path) -> str:
    """The SQL model's version of the seeds of a project copy (edited by the test)."""
    warehouse = work / "definitions.duckdb"
    env = dict(os.environ)
    env.update(
        {
            "HEALTH_DUCKDB_PATH": str(warehouse),
            "DBT_PROFILES_DIR": str(project),
            "DBT_PROJECT_DIR": str(project),
            "HEALTH_DBT_TARGET": "dev",
        }
    )
    # One invocation (each costs a full parse): the seeds, then the two definition models.
    completed = subprocess.run(
        [DBT, *DEFINITION_BUILD, "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(VERSIONS_SQL).fetchone()[0]


def rewrite(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0].keys())
    rows = edit(rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_version_of_the_repository_seeds_equals_the_sql_model(repository_versions):
    assert definition_version(PROJECT_DIR / "seeds" / "definitions") == repository_versions[0]


def test_awkward_spellings_give_the_same_version_as_sql(tmp_path: Path):
    """Values DuckDB reads the same way must hash the same way: ' 70 ', 70.0, .5, TRUE,
    quoted text with separators, and a rounding case beyond 4 decimals."""
    project = copy_project(tmp_path)
    seeds = project / "seeds" / "definitions"

    def profiles(rows):
        rows[0]["good_threshold"] = rows[0]["good_threshold"] + ".0"
        rows[0]["min_coverage"] = "." + rows[0]["min_coverage"].split(".")[-1]
        rows[1]["is_default"] = rows[1]["is_default"].upper()
        rows[1]["profile_name"] = 'Name with | pipe, comma and "quotes" ~ tilde'
        rows[2]["poor_threshold"] = "44.99995"  # rounds half away from zero to 45.0000
        return rows

    def weights(rows):
        rows[0]["weight"] = f" {rows[0]['weight']} "
        return rows

    rewrite(seeds / "health_profiles.csv", profiles)
    rewrite(seeds / "health_pillar_weights.csv", weights)

    python_version = definition_version(seeds)
    assert "Name with | pipe" in definition_text(seeds)
    assert python_version == sql_definition_version(project, tmp_path)


def test_any_change_of_a_definition_value_changes_the_version(tmp_path: Path):
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds" / "definitions", seeds)
    before = definition_version(seeds)
    rewrite(
        seeds / "health_profile_indicators.csv",
        lambda rows: [{**rows[0], "weight": str(float(rows[0]["weight"]) + 1)}, *rows[1:]],
    )
    assert definition_version(seeds) != before


def test_untyped_definition_column_is_refused():
    manifest = copy.deepcopy(dict(load_manifest(prepare())))
    seed = manifest["nodes"]["seed.customer_health.health_pillar_weights"]
    del seed["config"]["column_types"]["weight"]
    with pytest.raises(ValueError, match="column_types"):
        definition_version(PROJECT_DIR / "seeds" / "definitions", manifest=manifest)


def test_the_definition_seeds_are_the_ones_declared_in_their_yaml_meta():
    seeds = {seed.name: seed.part for seed in definition_seeds(load_manifest(prepare()))}
    assert seeds == {
        "alert_rules": "scoring",
        "health_pillar_weights": "scoring",
        "health_profile_indicators": "scoring",
        "health_profile_rules": "scoring",
        "health_profiles": "scoring",
        "hierarchy_band_rules": "scoring",
        "product_features": "indicators",
        "product_profile_rules": "scoring",
        "health_dimensions": "scoring",
        "health_dimension_indicators": "scoring",
    }


def test_part_versions_equal_the_sql_model(repository_versions):
    _, indicators, scoring = repository_versions
    seeds = PROJECT_DIR / "seeds" / "definitions"
    assert definition_version(seeds, part="indicators") == indicators
    assert definition_version(seeds, part="scoring") == scoring
    assert indicators != scoring
