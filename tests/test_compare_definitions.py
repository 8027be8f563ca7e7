"""`python -m tools.compare_definitions` (docs/backtesting.md): a proposed definition is built
by the production pipeline from the same raw data as the current one, then compared.

The tool's `run` is `definition_project` and `build` for the current and the proposed
definitions, then `compare`. Here the current definition's warehouse is the session build:
the same daily job over the same window from the same raw data, which is what `build`
makes of the current definition. So one build of the proposed definition shows the path:
a copy of the project with the proposed CSV files, the raw schemas the dbt sources name,
one run of the Dagster daily job, no alert sent anywhere but the run's own outbox, and a
comparison of the same outcomes under both definitions.
"""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pytest
from conftest import BUILD_NOW, PROJECT_DIR

from tools.compare_definitions import band_rates, build, compare, definition_project


def _version_and_scores(path, start: dt.date, end: dt.date) -> tuple[set[str], dict[tuple, float]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select definition_version, account_id, as_of_date, health_score from marts.fct_account_health_daily "
            "where as_of_date between ? and ?",
            [start, end],
        ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}, {(row[1], row[2]): row[3] for row in rows}


def test_a_proposed_definition_is_built_by_the_pipeline_and_compared(
    built_warehouse, tmp_path, webhook_server, monkeypatch
):
    proposed_seeds = tmp_path / "proposed"
    proposed_seeds.mkdir()
    weights = (PROJECT_DIR / "seeds" / "definitions" / "health_pillar_weights.csv").read_text().splitlines()
    profile, pillar, weight = weights[1].split(",")
    weights[1] = f"{profile},{pillar},{float(weight) + 5}"
    (proposed_seeds / "health_pillar_weights.csv").write_text("\n".join(weights) + "\n")
    project = definition_project(tmp_path / "work" / "proposed" / "project", proposed_seeds)
    assert (
        project / "seeds" / "definitions" / "health_pillar_weights.csv"
    ).read_text().splitlines() == weights

    # A webhook is configured in this shell: the comparison must not deliver to it.
    url = webhook_server.start()
    monkeypatch.setenv("HEALTH_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("HEALTH_NOW", BUILD_NOW.isoformat())
    start, end = built_warehouse.start_date, built_warehouse.end_date
    work = tmp_path / "work" / "proposed"
    warehouse = build(project, built_warehouse.path, work, start, end)

    assert (work / "pipeline.log").read_text().splitlines()[-1].startswith("health_daily_job: success (run ")
    assert webhook_server.attempts == 0
    assert (work / "outbox.jsonl").exists() and (work / "dagster_home" / "dagster.yaml").exists()
    current_versions, current = _version_and_scores(built_warehouse.path, start, end)
    proposed_versions, proposed = _version_and_scores(warehouse, start, end)
    assert len(current_versions) == 1 and len(proposed_versions) == 1
    assert proposed_versions != current_versions, "the proposed seeds did not reach the build"
    assert proposed.keys() == current.keys() and len(proposed) > 0, "another set of account-days"
    assert any(proposed[key] != current[key] for key in current), "the pillar weight changed no score"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw = {
            schema for (schema,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
        }
    finally:
        con.close()
    assert {"crm", "billing", "product", "support", "survey", "marts"} <= raw

    # The outcomes and the days before them are the same; how they fall into bands is not.
    current_bands, proposed_bands = band_rates(built_warehouse.path), band_rates(warehouse)
    assert {(r[1], r[2]) for r in current_bands if r[2] == "all"} == {
        (r[1], r[2]) for r in proposed_bands if r[2] == "all"
    }
    assert [r[3] for r in current_bands if r[2] == "all"] == [r[3] for r in proposed_bands if r[2] == "all"]
    assert current_bands and {r[0] for r in proposed_bands} == proposed_versions
    report = compare(built_warehouse.path, warehouse)
    assert (
        f"definition versions: baseline {sorted(current_versions)}, proposed {sorted(proposed_versions)}"
        in report
    )
    assert "Churn AUC at renewal points" in report and "Outcomes per band" in report
    assert os.environ["HEALTH_ALERT_WEBHOOK_URL"] == url  # the tool left this shell alone


def test_proposed_files_must_be_definition_seeds(tmp_path):
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "health_weights.csv").write_text("a,b\n1,2\n")
    with pytest.raises(SystemExit, match="not definition seeds of this project: health_weights.csv"):
        definition_project(tmp_path / "a", unknown)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit, match="no CSV files in"):
        definition_project(tmp_path / "b", empty)
