"""The serving publication: the public marts copied to a read-only file for BI.

Downstream of every public mart, so Dagster materializes it only when every blocking check
of the run passed (the dbt tests and the Great Expectations mart checks): a failed check
fails the run and the previous publication stays current. BI reads
$HEALTH_SERVING_DIR/current.duckdb (customer_health/serving.py).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset

from customer_health import serving
from customer_health.config import WAREHOUSE_POOL
from customer_health.manifest import models_with_tag
from orchestration.dbt.assets import run_window
from orchestration.resources import HealthWarehouse

PUBLICATION_KEY = AssetKey(["serving", "health_marts"])


def daily_mart_days(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Each daily public mart (dbt tag `daily`, schema marts) with its event_time column."""
    return {
        node["name"]: node["config"]["event_time"]
        for node in models_with_tag("daily", manifest)
        if node["config"].get("schema") == "marts"
    }


def build_publication(public_mart_keys: Iterable[AssetKey], manifest: Mapping[str, Any]) -> AssetsDefinition:
    daily_tables = daily_mart_days(manifest)

    @asset(
        key=PUBLICATION_KEY,
        deps=sorted(public_mart_keys, key=lambda key: key.to_user_string()),
        group_name="serving",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            "The public marts (schema marts) copied into a new read-only DuckDB file and made "
            "current ($HEALTH_SERVING_DIR/current.duckdb) with one atomic swap. Runs only after "
            "every blocking check of the run passed."
        ),
    )
    def health_marts_publication(
        context: AssetExecutionContext, warehouse: HealthWarehouse
    ) -> MaterializeResult:
        # A partitioned run changed only its window's days of the daily marts: the new
        # publication starts from the current one and replaces those (docs/serving.md).
        path = serving.publish(
            warehouse.path, warehouse.serving, window=run_window(context), daily_tables=daily_tables
        )
        info = serving.publication_info(warehouse.serving)
        context.log.info(f"published {path.name}: as_of {info['as_of_start']}..{info['as_of_end']}")
        return MaterializeResult(
            metadata={
                "publication": MetadataValue.path(str(path)),
                "publication_id": info["publication_id"],
                "definition_version": info["definition_version"] or "",
                "as_of_start": str(info["as_of_start"]),
                "as_of_end": str(info["as_of_end"]),
                "row_counts": MetadataValue.json(info["row_counts"]),
            }
        )

    return health_marts_publication
