"""Asset keys and groups for the dbt nodes.

Keys mirror where a relation lives in the warehouse: `<schema>/<name>` for models, seeds
and snapshots (marts/fct_account_health_daily, definitions/health_profiles), and
`raw/<source>/<table>` for the raw sources. Groups follow the project's layers: staging,
intermediate, marts, quality (the dq_* models), seeds and snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LAYER_GROUPS = ("staging", "intermediate", "marts")


class HealthDbtTranslator(DagsterDbtTranslator):
    """`daily_ids`: unique_ids of the daily-grain models, tagged grain=daily (select them
    with `tag:grain=daily`); the others are tagged grain=unpartitioned."""

    def __init__(self, daily_ids: frozenset[str] = frozenset()) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._daily_ids = daily_ids

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        grain = "daily" if dbt_resource_props["unique_id"] in self._daily_ids else "unpartitioned"
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
        if resource_type == "seed":
            return "seeds"
        if resource_type == "snapshot":
            return "snapshots"
        fqn = dbt_resource_props.get("fqn", [])
        # fqn: [project, folder, subfolder..., name]
        folders = fqn[1:-1]
        if "quality" in folders or dbt_resource_props["name"].startswith("dq_"):
            return "quality"
        if folders and folders[0] in LAYER_GROUPS:
            return folders[0]
        return "other"
