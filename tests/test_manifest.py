"""The manifest the code location reads follows the dbt files it was parsed from."""

from __future__ import annotations

import dataclasses
import os
import re

from conftest import copy_project, run_dbt_in
from dbt.artifacts.resources import ColumnInfo

from customer_health.manifest import files_newer_than, load_manifest, prepare


def test_a_changed_macro_and_selector_reach_the_manifest(tmp_path, monkeypatch):
    """A pipeline run's dbt parses partially from the state the run before it kept: after a
    macro edit the snapshot and its tests stay whole (dbt 1.11 lost a snapshot defined in
    YAML, `relation:`: "depends on a node named 'snap_crm__accounts' which is disabled";
    decision 0024). `prepare` parses in full: partial parsing keeps the selectors of the last
    full parse, and the code location would miss a new one (the dbt op is the selector
    health_pipeline)."""
    project = copy_project(tmp_path)
    manifest_path = project / "target" / "manifest.json"
    warehouse = tmp_path / "health.duckdb"  # the name whose worlds share dbt's parsing
    run_dbt_in(project, ["parse"], warehouse)  # in full, or partially from the project's state
    macro = project / "macros" / "tests" / "generic_tests.sql"
    macro.write_text(macro.read_text() + "{# an edit #}\n")
    run_dbt_in(project, ["parse"], warehouse)
    parses = re.findall(
        r"(?:Partial parsing enabled|Unable to do partial parsing)[^\n]*",
        (project / "logs" / "dbt.log").read_text(),
    )
    assert parses[-1].startswith(
        "Partial parsing enabled: 0 files deleted, 0 files added, 1 files changed"
    ), parses
    nodes = load_manifest(manifest_path)["nodes"]
    snapshot = "snapshot.customer_health.snap_crm__accounts"
    assert nodes[snapshot]["config"]["check_cols"] == [
        "parent_account_id",
        "customer_tier",
        "support_package",
        "billing_country",
        "is_deleted",
    ]
    tests = sorted(
        node["name"].split("_snap_")[0] for node in nodes.values() if node.get("attached_node") == snapshot
    )
    assert tests == ["column_values", "primary_key"], tests

    monkeypatch.setenv("HEALTH_DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("HEALTH_DBT_MANIFEST", str(manifest_path))
    selectors = project / "selectors.yml"
    selectors.write_text(selectors.read_text().replace("name: health_weekly", "name: health_weekly_renamed"))
    later = manifest_path.stat().st_mtime + 5
    os.utime(selectors, (later, later))
    assert files_newer_than(manifest_path, project) == [selectors]
    names = set(load_manifest(prepare())["selectors"])
    assert "health_weekly_renamed" in names and "health_weekly" not in names, names


def test_every_column_property_is_one_dbt_knows():
    """A column written as a YAML flow mapping with an unquoted comma in its description,
    `{name: tier, description: enterprise, mid_market, or null.}`, parses as the description
    `enterprise` and the keys `mid_market` and `or null.` without values: dbt keeps both, so
    the documentation (and the marts' published comments) lose the rest of the sentence
    without a warning. Every property of every column in the manifest must be one of dbt's."""
    properties = {field.name for field in dataclasses.fields(ColumnInfo)}
    manifest = load_manifest(prepare())
    unknown = [
        f"{node['original_file_path']}: {node['name']}.{name}: {sorted(set(column) - properties)}"
        for node in [*manifest["nodes"].values(), *manifest["sources"].values()]
        for name, column in node.get("columns", {}).items()
        if set(column) - properties
    ]
    assert not unknown, unknown
