"""The dbt manifest: where Python reads what the dbt project declares.

Raw sources and their freshness, which columns hold personal data (`meta: {contains_pii:
true}`), the definition seeds (`meta: {health_definition: ...}`), tags and selectors are
declared once in the dbt project; Python reads them here from `target/manifest.json`,
never from the YAML or Jinja files. The manifest is prepared by `make manifest`
(`dbt parse` on the in-memory `lint` target) and re-prepared by `prepare()` when a dbt
file changed after it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from customer_health import config

DBT_SOURCE_DIRS = ("models", "macros", "seeds", "snapshots", "data-tests", "analyses")
DBT_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "selectors.yml")
PII_META = "contains_pii"


class ManifestMissingError(FileNotFoundError):
    """The dbt manifest was not prepared."""


@cache
def _read(path: str, mtime_ns: int) -> Mapping[str, Any]:
    del mtime_ns  # part of the cache key only: a re-parsed manifest is read again
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_manifest(path: Path | None = None) -> Mapping[str, Any]:
    """The parsed manifest (cached until the file changes)."""
    path = Path(path or config.manifest_path())
    if not path.exists():
        raise ManifestMissingError(
            f"dbt manifest not found at {path}. Prepare it with `make manifest` "
            "(HEALTH_DBT_TARGET=lint dbt parse) or point HEALTH_DBT_MANIFEST at one."
        )
    return _read(str(path), path.stat().st_mtime_ns)


def files_newer_than(manifest_path: Path, project_dir: Path | None = None) -> list[Path]:
    """dbt files changed after the manifest was prepared (a cheap stat walk, no parsing)."""
    project_dir = project_dir or config.dbt_project_dir()
    if not manifest_path.exists():
        return []
    prepared_at = manifest_path.stat().st_mtime
    candidates = [project_dir / name for name in DBT_PROJECT_FILES if name != "profiles.yml"]
    for folder in DBT_SOURCE_DIRS:
        if (project_dir / folder).is_dir():
            candidates.extend(path for path in (project_dir / folder).rglob("*") if path.is_file())
    return sorted(path for path in candidates if path.exists() and path.stat().st_mtime > prepared_at)


def copy_project(destination: Path) -> Path:
    """A copy of this repository's dbt project (its files and source folders) in
    `destination`, for a run of a changed definition or model: the benchmarks' scoring
    change, the definition comparison tool, the tests that edit models or seeds."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in DBT_PROJECT_FILES:
        shutil.copy(config.PROJECT_DIR / name, destination / name)
    for name in DBT_SOURCE_DIRS:
        if (config.PROJECT_DIR / name).is_dir():
            shutil.copytree(config.PROJECT_DIR / name, destination / name, dirs_exist_ok=True)
    return destination


def project_env(project: Path) -> dict[str, str]:
    """The environment that points the code location at a copy of the dbt project and the
    manifest `prepare_copy` wrote for it."""
    return {
        "HEALTH_DBT_PROJECT_DIR": str(project),
        "HEALTH_DBT_MANIFEST": str(project / "target" / "manifest.json"),
        "DBT_PROJECT_DIR": str(project),
    }


def _parse(project: Path, target: Path, quiet: bool = True, **env: str) -> None:
    """`dbt parse` of `project` in full into `target`, on the in-memory `lint` target. Always
    in full: the code location's manifest is never the product of dbt 1.11's partial parsing,
    which keeps the selectors of the last full parse, and lost a snapshot's tests when the
    snapshot moved from YAML to a SQL block (docs/decisions/0024). It costs about 7 s instead
    of 3 s, and only after a change."""
    command = [config.dbt_executable(), "parse", "--no-partial-parse", "--target-path", str(target)]
    if quiet:
        command.append("--quiet")
    completed = subprocess.run(
        command,
        cwd=project,
        env=config.dbt_env(HEALTH_DBT_TARGET="lint", **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"dbt parse failed in {project}:\n{completed.stdout[-4000:]}\n{completed.stderr[-2000:]}"
        )


def prepare_copy(project: Path) -> Path:
    """The manifest of a project copy, parsed into its own target/; its path."""
    _parse(project, project / "target", DBT_PROJECT_DIR=str(project), DBT_PROFILES_DIR=str(project))
    return project / "target" / "manifest.json"


def prepare(path: Path | None = None, quiet: bool = True) -> Path:
    """Parse the project in full when the manifest is missing or older than a dbt file; its
    path."""
    path = Path(path or config.manifest_path())
    changed = files_newer_than(path) if path.exists() else None
    if changed != []:
        _parse(config.dbt_project_dir(), path.parent, quiet)
    return path


# ----------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class RawTable:
    """A raw source table as its dbt source declares it."""

    source: str
    table: str
    schema: str
    columns: tuple[str, ...]
    max_age_hours: float | None
    key: str = "id"
    optional: bool = False  # the raw-source contract lets the loader leave it out

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"


_PERIOD_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


def _error_after_hours(freshness: Mapping[str, Any] | None) -> float | None:
    error_after = (freshness or {}).get("error_after") or {}
    count, period = error_after.get("count"), error_after.get("period")
    if count is None or period not in _PERIOD_HOURS:
        return None
    return float(count) * _PERIOD_HOURS[period]


def raw_tables(manifest: Mapping[str, Any] | None = None) -> list[RawTable]:
    """Every dbt source table, with its documented columns and freshness error_after."""
    manifest = manifest if manifest is not None else load_manifest()
    tables = []
    for source in manifest["sources"].values():
        freshness = source.get("freshness") or (source.get("config") or {}).get("freshness")
        tables.append(
            RawTable(
                source=source["source_name"],
                table=source["name"],
                schema=source["schema"],
                columns=tuple(source.get("columns", {})),
                max_age_hours=_error_after_hours(freshness),
                optional=bool(
                    {**(source.get("meta") or {}), **((source.get("config") or {}).get("meta") or {})}.get(
                        "optional"
                    )
                ),
            )
        )
    return sorted(tables, key=lambda table: table.name)


def _pii(column: Mapping[str, Any]) -> bool:
    meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
    return bool(meta.get(PII_META))


def _documented(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from manifest["sources"].values()
    yield from (node for node in manifest["nodes"].values() if node.get("resource_type") in ("model", "seed"))


def pii_columns(manifest: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """relation name -> its columns tagged `meta: {contains_pii: true}`."""
    manifest = manifest if manifest is not None else load_manifest()
    found: dict[str, list[str]] = {}
    for node in _documented(manifest):
        names = [name for name, column in node.get("columns", {}).items() if _pii(column)]
        if names:
            found[f"{node.get('source_name') or node['schema']}.{node['name']}"] = sorted(names)
    return found


def pii_column_names(manifest: Mapping[str, Any] | None = None) -> list[str]:
    return sorted({name for names in pii_columns(manifest).values() for name in names})


@dataclass(frozen=True)
class KeptTable:
    """A table dbt keeps between runs, as the project declares it: an incremental model's, or
    a seed's (reloaded by the runs that load seeds, read as it is by the others)."""

    name: str
    resource_type: str  # "model" or "seed"
    relation: str  # "schema.alias"
    columns: tuple[str, ...]  # documented: the columns it holds (tests/test_upgrade.py)
    event_time: str | None  # the column of its days (config event_time), if it has days


def kept_tables(manifest: Mapping[str, Any] | None = None) -> list[KeptTable]:
    """Every enabled incremental model and seed, sorted by relation."""
    manifest = manifest if manifest is not None else load_manifest()
    return sorted(
        (
            KeptTable(
                name=node["name"],
                resource_type=node["resource_type"],
                relation=f"{node['schema']}.{node['alias']}",
                columns=tuple(node.get("columns", {})),
                event_time=node["config"].get("event_time"),
            )
            for node in manifest["nodes"].values()
            if node.get("resource_type") == "seed"
            or (node.get("resource_type") == "model" and node["config"].get("materialized") == "incremental")
        ),
        key=lambda table: table.relation,
    )


def models_with_tag(tag: str, manifest: Mapping[str, Any] | None = None) -> list[Mapping[str, Any]]:
    manifest = manifest if manifest is not None else load_manifest()
    return [
        node
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model" and tag in node.get("tags", [])
    ]


def public_marts(manifest: Mapping[str, Any] | None = None) -> list[Mapping[str, Any]]:
    """The models of the schema `marts` with an enforced contract (the public marts)."""
    manifest = manifest if manifest is not None else load_manifest()
    return sorted(
        (
            node
            for node in manifest["nodes"].values()
            if node.get("resource_type") == "model"
            and node.get("config", {}).get("schema") == "marts"
            and (node.get("config", {}).get("contract") or {}).get("enforced")
        ),
        key=lambda node: node["name"],
    )
