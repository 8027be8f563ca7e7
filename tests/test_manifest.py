"""The manifest the code location reads follows the dbt files it was parsed from."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from conftest import copy_project
from dbt.artifacts.resources import ColumnInfo

from customer_health.manifest import files_newer_than, load_manifest, prepare, prepare_copy


def _touch_after_manifest(path: Path, project: Path) -> None:
    manifest_path = project / "target" / "manifest.json"
    later = manifest_path.stat().st_mtime + 5
    os.utime(path, (later, later))
    assert files_newer_than(manifest_path, project) == [path]


def test_a_changed_macro_and_selector_reach_the_manifest(tmp_path, monkeypatch):
    """A pipeline run's dbt parses partially from the state the run before it kept: after a
    macro edit the snapshot and its tests stay whole (dbt 1.11 lost a snapshot defined in
    YAML, `relation:`: "depends on a node named 'snap_crm__accounts' which is disabled";
    decision 0024). `prepare` parses in full: partial parsing keeps the selectors of the last
    full parse, and the code location would miss a new one (the dbt op is the selector
    health_pipeline)."""
    project = copy_project(tmp_path)
    manifest_path = project / "target" / "manifest.json"
    monkeypatch.setenv("HEALTH_DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("HEALTH_DBT_MANIFEST", str(manifest_path))
    assert "health_weekly" in load_manifest(prepare())["selectors"]
    assert (project / "target" / "partial_parse.msgpack").exists(), "the next parse can be partial"

    macro = project / "macros" / "tests" / "generic_tests.sql"
    macro.write_text(macro.read_text() + "{# an edit #}\n")
    _touch_after_manifest(macro, project)
    nodes = load_manifest(prepare_copy(project))["nodes"]  # dbt parse: partial by default
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

    selectors = project / "selectors.yml"
    selectors.write_text(selectors.read_text().replace("name: health_weekly", "name: health_weekly_renamed"))
    _touch_after_manifest(selectors, project)
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
