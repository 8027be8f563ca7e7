"""Asset keys, groups and tags for the dbt nodes.

Keys mirror where a relation lives in the warehouse: `<schema>/<name>` for models, seeds
and snapshots (marts/fct_account_health_daily, definitions/health_profiles), and
`raw/<source>/<table>` for the raw sources. Groups follow the project's layers: raw,
staging, intermediate, marts, quality (the dq_* models), seeds and snapshots. The tag
`grain` says daily (the dbt tag `daily`: select them with `tag:grain=daily`) or
unpartitioned; given a partitions definition, the translator puts the daily models in it
(one dbt op holds partitioned and unpartitioned assets: orchestration/dbt/assets.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec, PartitionsDefinition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

LAYER_GROUPS = ("staging", "intermediate", "marts")
DAILY_TAG = "daily"


def is_daily(dbt_resource_props: Mapping[str, Any]) -> bool:
    return DAILY_TAG in dbt_resource_props.get("tags", [])


class HealthDbtTranslator(DagsterDbtTranslator):
    def __init__(self, daily_partitions: PartitionsDefinition | None = None) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._daily_partitions = daily_partitions

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if self._daily_partitions is not None and is_daily(self.get_resource_props(manifest, unique_id)):
            return spec.replace_attributes(partitions_def=self._daily_partitions)
        return spec

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        grain = "daily" if is_daily(dbt_resource_props) else "unpartitioned"
        return {**super().get_tags(dbt_resource_props), "grain": grain}

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return AssetKey(["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get(
            "schema", "main"
        )
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type in ("seed", "snapshot", "source"):
            return {"seed": "seeds", "snapshot": "snapshots", "source": "raw"}[resource_type]
        fqn = dbt_resource_props.get("fqn", [])
        folders = fqn[1:-1]  # fqn: [project, folder, subfolder..., name]
        if "quality" in folders or dbt_resource_props["name"].startswith("dq_"):
            return "quality"
        if folders and folders[0] in LAYER_GROUPS:
            return folders[0]
        return "other"


def raw_source_specs(manifest: Mapping[str, Any], translator: DagsterDbtTranslator) -> list[AssetSpec]:
    """The raw tables the ELT loader lands (dbt sources), as external assets: the dbt models
    depend on them, and the raw Great Expectations checks describe them."""
    return [
        AssetSpec(
            key=translator.get_asset_key(source),
            group_name="raw",
            description=source.get("description") or f"Raw {source['source_name']}.{source['name']}",
            kinds={"duckdb"},
        )
        for source in sorted(manifest["sources"].values(), key=lambda s: s["unique_id"])
    ]
