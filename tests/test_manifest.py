"""The manifest the code location reads follows the dbt files it was parsed from."""

from __future__ import annotations

import os

from conftest import copy_project

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
