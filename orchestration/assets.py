"""The dbt project as Dagster assets, plus alert delivery.

Three @dbt_assets over one manifest (see orchestration/project.py for the split):

- `health_upstream_dbt`: seeds, snapshots, staging and the unwindowed intermediate models;
  unpartitioned, `dbt build` without window vars.
- `health_daily_dbt`: the daily-grain models, partitioned by day with
  BackfillPolicy.single_run(): a run over a range of partitions is ONE `dbt build` whose
  window vars health_start_date..health_end_date cover the whole range (Dagster's time
  window is half-open, the vars are inclusive: end = window end - 1 day).
- `health_downstream_dbt`: dimensions, alerts and everything else built from the daily
  models; unpartitioned (fct_health_alerts is rebuilt from the full history).

dbt tests are asset checks of the model they test. Every op that touches the warehouse is
in the concurrency pool `duckdb_warehouse` (1 slot): DuckDB allows one writing process.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.alerts import OPEN_ALERTS_SQL, Alert, deliver
from orchestration.project import NodeGrains, files_newer_than_manifest
from orchestration.resources import AlertDelivery, HealthWarehouse
from orchestration.settings import WAREHOUSE_POOL
from orchestration.translator import HealthDbtTranslator
from orchestration.warehouse import with_lock_retries

ALERTS_KEY = AssetKey(["marts", "fct_health_alerts"])
DELIVERY_KEY = AssetKey(["alerting", "health_alert_delivery"])


def warn_if_manifest_is_stale(context: AssetExecutionContext, project: DbtProject) -> None:
    changed = files_newer_than_manifest(Path(project.project_dir), Path(project.manifest_path))
    if changed:
        shown = ", ".join(str(path.relative_to(project.project_dir)) for path in changed[:5])
        context.log.warning(
            f"{len(changed)} dbt file(s) changed after the manifest was prepared ({shown}"
            f"{', ...' if len(changed) > 5 else ''}): run `make manifest` and reload the "
            "definitions, or new dbt nodes will fail this op"
        )


def build_command(context: AssetExecutionContext) -> list[str]:
    """`dbt build`, with tests selected "buildable" when the whole op runs.

    dbt's default (eager) would run a test as soon as one of its parents is built, e.g. the
    relationships test fct_account_health_daily -> dim_account in the daily op, before this
    run rebuilt dim_account (or before it exists at all). "buildable" runs a test in the op
    where all its parents are built or already upstream: that test runs with dim_account in
    the downstream op (reported there as an observation of fct_account_health_daily). Subset
    runs keep dagster-dbt's own test selection.
    """
    if context.is_subset:
        return ["build"]
    return ["build", "--indirect-selection", "buildable"]


def window_vars(start: dt.date, end_inclusive: dt.date) -> dict[str, str]:
    return {
        "health_start_date": start.isoformat(),
        "health_end_date": end_inclusive.isoformat(),
    }


def build_dbt_assets(
    manifest: Mapping[str, Any],
    project: DbtProject,
    grains: NodeGrains,
    partitions_def: DailyPartitionsDefinition,
) -> list[AssetsDefinition]:
    translator = HealthDbtTranslator(daily_ids=grains.daily)
    daily_ancestors = _daily_ancestor_keys(manifest, grains, translator)

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=grains.upstream_select,
        dagster_dbt_translator=translator,
        name="health_upstream_dbt",
        pool=WAREHOUSE_POOL,
    )
    def health_upstream_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        warn_if_manifest_is_stale(context, project)
        yield from dbt.cli(build_command(context), context=context).stream()

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=grains.daily_select,
        dagster_dbt_translator=translator,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        name="health_daily_dbt",
        pool=WAREHOUSE_POOL,
    )
    def health_daily_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        _refuse_partial_daily_chain(context, daily_ancestors)
        warn_if_manifest_is_stale(context, project)
        time_window = context.partition_time_window
        start = time_window.start.date()
        end_inclusive = (time_window.end - dt.timedelta(days=1)).date()
        variables = window_vars(start, end_inclusive)
        context.log.info(
            f"dbt build over the window {start}..{end_inclusive} "
            f"({(end_inclusive - start).days + 1} days) in one invocation; vars {variables}"
        )
        command = [*build_command(context), "--vars", json.dumps(variables)]
        yield from dbt.cli(command, context=context).stream()

    assets = [health_upstream_dbt, health_daily_dbt]
    if grains.downstream:

        @dbt_assets(
            manifest=manifest,
            project=project,
            select=grains.downstream_select,
            dagster_dbt_translator=translator,
            name="health_downstream_dbt",
            pool=WAREHOUSE_POOL,
        )
        def health_downstream_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
            warn_if_manifest_is_stale(context, project)
            yield from dbt.cli(build_command(context), context=context).stream()

        assets.append(health_downstream_dbt)
    return assets


def _daily_ancestor_keys(
    manifest: Mapping[str, Any], grains: NodeGrains, translator: HealthDbtTranslator
) -> dict[AssetKey, frozenset[AssetKey]]:
    """For each daily-grain asset, the daily-grain assets it is (transitively) built from."""
    parents = manifest["parent_map"]
    key_of = {unique_id: translator.get_asset_key(manifest["nodes"][unique_id]) for unique_id in grains.daily}
    ancestors: dict[AssetKey, frozenset[AssetKey]] = {}
    for unique_id in grains.daily:
        seen: set[str] = set()
        stack = [unique_id]
        while stack:
            for parent in parents.get(stack.pop(), []):
                if parent in grains.daily and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        ancestors[key_of[unique_id]] = frozenset(key_of[parent] for parent in seen)
    return ancestors


def _refuse_partial_daily_chain(
    context: AssetExecutionContext, daily_ancestors: Mapping[AssetKey, frozenset[AssetKey]]
) -> None:
    """The span tables hold only the span of the run that built them last, and a daily model
    replaces every day of its window: building a daily model for a window without rebuilding
    its daily-grain parents for the same window would delete days. Refuse such subsets."""
    selected = set(context.selected_asset_keys)
    missing = set().union(*(daily_ancestors.get(key, frozenset()) for key in selected)) - selected
    if missing:
        raise Failure(
            description=(
                "A daily-grain model must be built together with the daily-grain models it is "
                "built from, for the same window. Add to the selection: "
                + ", ".join(sorted(key.to_user_string() for key in missing))
                + " (or select tag:grain=daily, or run health_recalculation_job)."
            )
        )


def _read_open_alerts(max_age_days: int) -> Callable[[duckdb.DuckDBPyConnection], list[Alert]]:
    def read(connection: duckdb.DuckDBPyConnection) -> list[Alert]:
        rows = connection.execute(OPEN_ALERTS_SQL, [max_age_days]).fetchall()
        names: dict[str, str] = {}
        try:
            names = dict(
                connection.execute("select account_id, account_name from marts.dim_account").fetchall()
            )
        except duckdb.CatalogException:
            pass  # dim_account not built: alerts carry the account id only
        return [
            Alert(
                alert_id=row[0],
                account_id=row[1],
                alert_type=row[2],
                severity=row[3],
                opened_on=row[4],
                details=row[5],
                account_name=names.get(row[1]),
            )
            for row in rows
        ]

    return read


@asset(
    key=DELIVERY_KEY,
    deps=[ALERTS_KEY],
    group_name="alerting",
    pool=WAREHOUSE_POOL,
    description=(
        "Sends newly opened alerts of fct_health_alerts (open, opened within the last "
        "HEALTH_ALERT_MAX_AGE_DAYS scored days) to the Slack-compatible webhook in "
        "HEALTH_ALERT_WEBHOOK_URL, or to the JSON-lines outbox when it is not set. At most "
        "once per alert_id, across retries and restarts (delivery log in SQLite; see "
        "orchestration/alerts.py). In the warehouse pool because DuckDB readers cannot open "
        "the file while a writer holds it."
    ),
    kinds={"python", "slack"},
)
def health_alert_delivery(
    context: AssetExecutionContext, warehouse: HealthWarehouse, alert_delivery: AlertDelivery
) -> MaterializeResult:
    alerts: Sequence[Alert] = with_lock_retries(
        _read_open_alerts(alert_delivery.max_age_days), warehouse.path
    )
    notifier = alert_delivery.notifier(log=context.log.warning)
    report = deliver(alerts, notifier, alert_delivery.delivery_log(), run_id=context.run.run_id)
    summary = (
        f"{len(report.delivered)} delivered via {notifier.channel}, "
        f"{report.skipped_already_handled} already handled, {len(report.failed)} failed, "
        f"{len(report.uncertain)} uncertain (not resent), of {report.candidates} open alerts"
    )
    context.log.info(summary)
    if report.uncertain:
        context.log.warning(
            "deliveries with unknown outcome are never resent automatically: "
            + ", ".join(report.uncertain)
            + " (check the channel, then `python -m orchestration.alerts --rearm <id>`)"
        )
    if report.stopped_early:
        context.log.warning("stopped after consecutive failures; the rest waits for the next run")
    if report.failed and not report.delivered:
        # Surface a receiver that is down as a failed step (the alerts stay pending).
        raise RuntimeError(f"alert delivery failed: {summary}")
    return MaterializeResult(
        metadata={
            "channel": notifier.channel,
            "candidates": report.candidates,
            "delivered": len(report.delivered),
            "already_handled": report.skipped_already_handled,
            "failed": len(report.failed),
            "uncertain": len(report.uncertain),
            "delivered_alert_ids": MetadataValue.json(report.delivered[:200]),
            "summary": summary,
        }
    )
