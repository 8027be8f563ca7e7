"""Great Expectations suites as Dagster asset checks (customer_health/quality).

- Raw sources: one non-blocking check per raw table (`load_profile`: schema, freshness,
  future load times, volume). A failure warns; staging sets bad rows aside anyway.
- Public marts: one blocking check per mart (`great_expectations`: the window's days all
  written and one definition_version for daily marts; no personal-data column for every
  mart). Two check ops per dbt op (there is one): health_dbt_mart_checks for the marts a
  rescore rebuilds, health_dbt_mart_checks_not_rescored for the others. The checks run
  once dbt has built the marts and block everything downstream of them: the serving
  publication and alert delivery. A failed check fails the run with its message; nothing is published.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MetadataValue,
    multi_asset_check,
)

from customer_health.config import WAREHOUSE_POOL, yesterday
from customer_health.quality import SuiteResult, validate_marts, validate_raw
from customer_health.quality.suites import MART_SCHEMA
from orchestration.dbt.assets import run_window
from orchestration.resources import HealthWarehouse

RAW_CHECK = "load_profile"
MART_CHECK = "great_expectations"


def _metadata(results: Sequence[SuiteResult]) -> dict[str, Any]:
    failures = [failure for result in results for failure in result.failures]
    metadata: dict[str, Any] = {
        "suites": ", ".join(result.suite for result in results),
        "expectations_passed": sum(result.passed for result in results),
        "expectations_failed": sum(result.failed for result in results),
    }
    if failures:
        metadata["failures"] = MetadataValue.md("\n".join(f"- {failure}" for failure in failures[:20]))
    for result in results:
        metadata.update({key: value for key, value in result.details.items() if value is not None})
    return metadata


def _result(
    key: AssetKey, check: str, results: Sequence[SuiteResult], severity: AssetCheckSeverity
) -> AssetCheckResult:
    failures = [failure for result in results for failure in result.failures]
    return AssetCheckResult(
        asset_key=key,
        check_name=check,
        passed=bool(results) and all(result.success for result in results),
        severity=severity,
        description="; ".join(failures[:3]) if failures else None,
        metadata=_metadata(results),
    )


def build_raw_checks(raw_specs: Iterable[AssetSpec]) -> list:
    specs = [
        AssetCheckSpec(
            RAW_CHECK,
            asset=spec.key,
            blocking=False,
            description=(
                "Great Expectations raw__load_profile: every contract column present, freshness "
                "against the dbt source's error_after, no future load time, volume change "
                "against the previous validated load. Warns."
            ),
        )
        for spec in raw_specs
    ]

    @multi_asset_check(specs=specs, name="raw_source_checks", pool=WAREHOUSE_POOL, can_subset=True)
    def raw_source_checks(
        context: AssetCheckExecutionContext, warehouse: HealthWarehouse
    ) -> Iterator[AssetCheckResult]:
        quality = validate_raw(warehouse.path)
        by_table = {".".join(spec.asset_key.path[1:]): spec.asset_key for spec in specs}
        for table, key in by_table.items():
            if AssetCheckKey(key, RAW_CHECK) in context.selected_asset_check_keys:
                yield _result(key, RAW_CHECK, quality.for_table(table), AssetCheckSeverity.WARN)

    return [raw_source_checks]


def _public_mart_keys(assets: AssetsDefinition) -> list[AssetKey]:
    return sorted(
        (key for key in assets.keys if len(key.path) == 2 and key.path[0] == MART_SCHEMA),
        key=lambda key: key.to_user_string(),
    )


def build_mart_checks(
    dbt_assets: Iterable[AssetsDefinition], manifest: Mapping[str, Any], rescored: Set[AssetKey]
) -> list:
    """One blocking check per public mart; per dbt op, one check op for the marts in
    `rescored` (what health_rescore_job rebuilds) and one for the others.

    A rescore checks the marts it does not rebuild too (the publication copies them): those
    checks run before its dbt step, since they gate the models built from those marts. In
    one op with the checks that run after it, Dagster splits the rescore's dbt op into two
    invocations to order them, about 5 s more per rescore (docs/decisions/0015)."""
    checks = []
    for assets in dbt_assets:
        keys = _public_mart_keys(assets)
        for name, group in (
            (f"{assets.op.name}_mart_checks", [key for key in keys if key in rescored]),
            (f"{assets.op.name}_mart_checks_not_rescored", [key for key in keys if key not in rescored]),
        ):
            if group:
                checks.append(_mart_check(name, _mart_check_specs(group), manifest))
    return checks


def _mart_check_specs(keys: Sequence[AssetKey]) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            MART_CHECK,
            asset=key,
            blocking=True,
            partitions_def=None,
            description=(
                "Great Expectations (blocking): the run's window fully written with one "
                "definition_version (daily marts), no personal-data column (every mart)."
            ),
        )
        for key in keys
    ]


def _mart_check(name: str, specs: list[AssetCheckSpec], manifest: Mapping[str, Any]) -> Any:
    @multi_asset_check(specs=specs, name=name, pool=WAREHOUSE_POOL, can_subset=True)
    def mart_checks(
        context: AssetCheckExecutionContext, warehouse: HealthWarehouse
    ) -> Iterator[AssetCheckResult]:
        selected = [
            spec.asset_key
            for spec in specs
            if AssetCheckKey(spec.asset_key, MART_CHECK) in context.selected_asset_check_keys
        ]
        window = run_window(context)
        if window is None:  # a run without partitions: dbt's default window (yesterday)
            window = (yesterday(), yesterday())
        quality = validate_marts(
            warehouse.path, *window, tables=[key.path[-1] for key in selected], manifest=manifest
        )
        for key in selected:
            yield _result(key, MART_CHECK, quality.for_table(key.path[-1]), AssetCheckSeverity.ERROR)

    return mart_checks
