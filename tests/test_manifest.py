"""The manifest the code location reads follows the dbt files it was parsed from."""

from __future__ import annotations

import dataclasses
import os

from conftest import copy_project
from dbt.artifacts.resources import ColumnInfo

from customer_health.manifest import files_newer_than, load_manifest, prepare


def test_a_changed_selector_reaches_the_manifest(tmp_path, monkeypatch):
    """dbt 1.11's partial parsing keeps the selectors of the last full parse; `prepare`
    re-parses in full when selectors.yml changed, or the code location would miss a new
    selector (the dbt op is the selector health_pipeline)."""
    project = copy_project(tmp_path)
    manifest_path = project / "target" / "manifest.json"
    monkeypatch.setenv("HEALTH_DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("HEALTH_DBT_MANIFEST", str(manifest_path))
    assert "health_weekly" in load_manifest(prepare())["selectors"]
    assert (project / "target" / "partial_parse.msgpack").exists(), "the next parse could be partial"

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
