"""customer_health.definitions.definition_version() equals the SQL model's value.

The Dagster sensor compares the version computed from the CSV files (no warehouse, no dbt)
with the one stamped on the scores by int_health_definition_version; both must agree
byte for byte, on the real seeds and on awkward but valid spellings of the same values.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from customer_health.definitions import definition_text, definition_version

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).with_name("dbt"))


def project_copy(destination: Path) -> Path:
    """The dbt project's files that parsing needs (models, macros, seeds, ...)."""
    project = destination / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, project / name)
    for name in ("models", "macros", "seeds", "snapshots", "data-tests", "analyses"):
        if (PROJECT_DIR / name).exists():
            shutil.copytree(PROJECT_DIR / name, project / name)
    return project


def sql_definition_version(project: Path, work: Path) -> str:
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
        [
            DBT,
            "build",
            "--select",
            "tag:health_definitions",
            "int_health_definition_errors",
            "int_health_definition_version",
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select definition_version from intermediate.int_health_definition_version"
        ).fetchone()[0]


def rewrite(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0].keys())
    rows = edit(rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_version_of_the_repository_seeds_equals_the_sql_model(tmp_path: Path):
    project = project_copy(tmp_path)
    expected = sql_definition_version(project, tmp_path)
    assert definition_version(PROJECT_DIR / "seeds" / "definitions") == expected


def test_awkward_spellings_give_the_same_version_as_sql(tmp_path: Path):
    """Values DuckDB reads the same way must hash the same way: ' 70 ', 70.0, .5, TRUE,
    quoted text with separators, and a rounding case beyond 4 decimals."""
    project = project_copy(tmp_path)
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


def test_untyped_definition_column_is_refused(tmp_path: Path):
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds" / "definitions", seeds)
    yml = seeds / "_definitions__seeds.yml"
    yml.write_text(yml.read_text().replace('weight: "decimal(18,4)"', "weightx: double"))
    with pytest.raises(ValueError, match="column_types"):
        definition_version(seeds)
