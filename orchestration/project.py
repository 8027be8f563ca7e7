"""The dbt project as Dagster sees it: the manifest and the split of its nodes into grains.

The manifest is prepared ahead of time (`make manifest`, i.e. `HEALTH_DBT_TARGET=lint dbt
parse`); nothing here runs dbt. HEALTH_DBT_MANIFEST overrides its path.

Which models are daily-grain is derived from the code rather than listed by hand: a model
is *windowed* when its SQL calls the window API directly, i.e. a macro of
macros/health_window.sql that reads the vars health_start_date / health_end_date
(health_window(), health_window_start(), scoring_span_start_day(), ...), or when it carries
the dbt tag `daily` (the opt-in for a model that reaches the window only through some other
macro). Indirect calls elsewhere do not count: var validation (validate_vars(), called from
the project's source() override) touches the window without making every staging model
windowed. The daily-grain set is the windowed models plus every model that lies on a path
between two windowed models (the span tables such as int_account_health_scores, which hold
only the run's span because their parents do). A new windowed model
(fct_hierarchy_health_daily, ...) joins the partitioned assets with no configuration, and a
model that reads the window is never run without it.

The other nodes split into `upstream` (seeds, snapshots, staging and everything the daily
models need that does not depend on them) and `downstream` (dimensions, alerts and
everything else built from the daily models), so that the three dbt assets form no cycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dagster_dbt import DbtProject

from orchestration.settings import Settings

WINDOW_MACRO = "macro.customer_health.health_window"
DAILY_TAG = "daily"
BUILDABLE = {"model", "seed", "snapshot"}


class ManifestMissingError(FileNotFoundError):
    """The dbt manifest was not prepared."""


def dbt_project(settings: Settings) -> DbtProject:
    # target_path may be absolute (HEALTH_DBT_MANIFEST outside the project).
    return DbtProject(
        project_dir=settings.project_dir,
        profiles_dir=settings.project_dir,
        target_path=settings.manifest_path.parent,
    )


@cache
def _load_manifest_cached(path: str, mtime_ns: int) -> Mapping[str, Any]:
    del mtime_ns  # part of the cache key only: a re-parsed manifest is re-read
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_manifest(path: Path) -> Mapping[str, Any]:
    if not path.exists():
        raise ManifestMissingError(
            f"dbt manifest not found at {path}. Prepare it with `make manifest` "
            "(HEALTH_DBT_TARGET=lint dbt parse) or point HEALTH_DBT_MANIFEST at one."
        )
    return _load_manifest_cached(str(path), path.stat().st_mtime_ns)


DBT_SOURCE_DIRS = ("models", "macros", "seeds", "snapshots", "data-tests", "analyses")


def files_newer_than_manifest(project_dir: Path, manifest_path: Path) -> list[Path]:
    """dbt files changed after the manifest was prepared (a cheap stat walk, no parsing).

    Dagster maps dbt's events through the manifest: a node dbt runs but the manifest does
    not know (a test added since `make manifest`) fails the op with a KeyError.
    """
    if not manifest_path.exists():
        return []
    prepared_at = manifest_path.stat().st_mtime
    candidates = [project_dir / "dbt_project.yml"]
    for folder in DBT_SOURCE_DIRS:
        if (project_dir / folder).is_dir():
            candidates.extend(path for path in (project_dir / folder).rglob("*") if path.is_file())
    return sorted(path for path in candidates if path.exists() and path.stat().st_mtime > prepared_at)


@dataclass(frozen=True)
class NodeGrains:
    """dbt node unique_ids by grain, and the dbt selection strings for each group."""

    windowed: frozenset[str]
    daily: frozenset[str]
    upstream: frozenset[str]
    downstream: frozenset[str]
    names: Mapping[str, str]

    def selection(self, unique_ids: Iterable[str]) -> str:
        # Bare names are dbt fqn selectors; one package, so names are unique.
        return " ".join(sorted(self.names[unique_id] for unique_id in unique_ids))

    @property
    def daily_select(self) -> str:
        return self.selection(self.daily)

    @property
    def downstream_select(self) -> str:
        return self.selection(self.downstream)

    @property
    def upstream_select(self) -> str:
        return self.selection(self.upstream)


def _closure(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        node = stack.pop()
        for neighbour in edges.get(node, ()):
            if neighbour not in seen:
                seen.add(neighbour)
                stack.append(neighbour)
    return seen


def _window_macros(manifest: Mapping[str, Any]) -> set[str]:
    """The window API: macros of the window macro's own file that call it (or are it)."""
    macros = manifest.get("macros", {})
    if WINDOW_MACRO not in macros:
        raise ValueError(f"{WINDOW_MACRO} is not in the manifest")
    api_file = macros[WINDOW_MACRO]["original_file_path"]
    callers: dict[str, list[str]] = {}
    for unique_id, macro in macros.items():
        if macro.get("original_file_path") != api_file:
            continue
        for called in macro.get("depends_on", {}).get("macros", []):
            callers.setdefault(called, []).append(unique_id)
    return {WINDOW_MACRO} | _closure([WINDOW_MACRO], callers)


def classify_nodes(manifest: Mapping[str, Any]) -> NodeGrains:
    nodes = {
        unique_id: node
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") in BUILDABLE
    }
    window_macros = _window_macros(manifest)
    windowed = {
        unique_id
        for unique_id, node in nodes.items()
        if node["resource_type"] == "model"
        and (
            window_macros & set(node.get("depends_on", {}).get("macros", []))
            or DAILY_TAG in node.get("tags", [])
        )
    }
    if not windowed:
        raise ValueError(
            f"no dbt model calls the window API ({WINDOW_MACRO}) or has the tag "
            f"'{DAILY_TAG}': cannot tell the daily-grain models apart"
        )
    child_map = {key: [c for c in value if c in nodes] for key, value in manifest["child_map"].items()}
    parent_map = {key: [p for p in value if p in nodes] for key, value in manifest["parent_map"].items()}
    below_windowed = _closure(windowed, child_map)
    above_windowed = _closure(windowed, parent_map)
    sandwiched = {
        unique_id
        for unique_id in below_windowed & above_windowed
        if nodes[unique_id]["resource_type"] == "model"
    }
    daily = windowed | sandwiched
    downstream = _closure(daily, child_map) - daily
    upstream = set(nodes) - daily - downstream
    return NodeGrains(
        windowed=frozenset(windowed),
        daily=frozenset(daily),
        upstream=frozenset(upstream),
        downstream=frozenset(downstream),
        names={unique_id: node["name"] for unique_id, node in nodes.items()},
    )
