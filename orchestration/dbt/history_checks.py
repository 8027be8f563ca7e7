"""The dbt tests that scan the whole event history (dbt tag `history_scan`), run weekly.

A handful of data tests cannot be limited to a run's window: uniqueness of every event id
ever loaded and row conservation (raw = staged + set aside) of the event table. The
incremental models keep these true by construction (re-deliveries are de-duplicated
against everything already staged); the tests prove it, at the cost of reading every event:
92 s of dbt thread time in each daily run at 10,000 accounts x 730 days, where the rest of
the upstream op took 27 s (docs/decisions/0006-whole-history-tests-weekly.md).

So the selector `health_pipeline` leaves them out of the daily graph (dagster-dbt then makes
no asset checks of them) and they are asset checks of the weekly job instead: one
`dbt test --select tag:history_scan` over whole tables (no window vars), one check per
test on the model it tests, named like dagster-dbt names a dbt test. The tests are read
from the manifest; nothing lists them by hand.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    multi_asset_check,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource

from customer_health.config import WAREHOUSE_POOL
from orchestration.dbt.invocations import keep_setting, prune_invocations, target_base

HISTORY_SCAN_TAG = "history_scan"


def history_tests(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The data tests tagged `history_scan` that test one model."""
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and HISTORY_SCAN_TAG in node.get("tags", [])
        and node.get("attached_node")
    ]


def build_history_checks(
    manifest: Mapping[str, Any], translator: DagsterDbtTranslator
) -> AssetChecksDefinition | None:
    """One op running every `history_scan` test, one asset check per test."""
    specs = {
        test["unique_id"]: AssetCheckSpec(
            name=test["name"],
            asset=translator.get_asset_key(manifest["nodes"][test["attached_node"]]),
            description=f"dbt test {test['name']} over the whole history (weekly job)",
        )
        for test in history_tests(manifest)
    }
    if not specs:
        return None

    @multi_asset_check(
        specs=list(specs.values()),
        name="health_history_scan_checks",
        description="The dbt tests tagged history_scan, over whole tables.",
        pool=WAREHOUSE_POOL,
    )
    def health_history_scan_checks(
        context: AssetCheckExecutionContext, dbt: DbtCliResource
    ) -> Iterator[AssetCheckResult]:
        keep = keep_setting()
        invocation = dbt.cli(
            ["test", "--select", f"tag:{HISTORY_SCAN_TAG}"], manifest=manifest, raise_on_error=False
        ).wait()
        prune_invocations(target_base(dbt.project_dir), keep)
        results = {
            result["unique_id"]: result for result in invocation.get_artifact("run_results.json")["results"]
        }
        ran = sum(1 for unique_id in specs if unique_id in results)  # not the project's hooks
        context.log.info(f"dbt test --select tag:{HISTORY_SCAN_TAG}: {ran} of {len(specs)} ran")
        for unique_id, spec in specs.items():
            result = results.get(unique_id, {})
            status = result.get("status", "not run")
            yield AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=status == "pass",
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "status": status,
                    "failures": int(result.get("failures") or 0),
                    "execution_time": float(result.get("execution_time") or 0.0),
                },
            )

    return health_history_scan_checks
