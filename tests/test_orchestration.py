# ruff: noqa: F811 (pytest fixtures imported from _orchestration_fixtures, used as arguments)
"""Dagster orchestration (issue 5): real Dagster instance in a temporary DAGSTER_HOME,
real dbt, a temporary DuckDB file with a small generated dataset (see
_orchestration_fixtures.py: one warehouse built per module, copied by tests that write).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from _orchestration_fixtures import (  # noqa: F401 (fixtures)
    PROJECT_DIR,
    OrchestrationWorld,
    run,
    tool,
    use_world_env,
    webhook_server,
    world,
)
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    build_schedule_context,
    build_sensor_context,
    materialize,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from customer_health.definitions import definition_version

POOL = "duckdb_warehouse"
FCT_HEALTH = AssetKey(["marts", "fct_account_health_daily"])
DELIVERY = AssetKey(["alerting", "health_alert_delivery"])
DAILY_MODELS = [
    FCT_HEALTH,
    AssetKey(["marts", "fct_indicator_scores_daily"]),
    AssetKey(["intermediate", "int_product_activity_daily"]),
    AssetKey(["intermediate", "int_feature_usage_daily"]),
    AssetKey(["intermediate", "int_account_days"]),
    AssetKey(["intermediate", "int_account_health_scores"]),
]
UNPARTITIONED = [
    AssetKey(["definitions", "health_profiles"]),
    AssetKey(["staging", "stg_crm__accounts"]),
    AssetKey(["intermediate", "int_health_definition_version"]),
    AssetKey(["marts", "fct_health_alerts"]),
    DELIVERY,
]


def build_defs():
    # Imported late: the module reads its settings (env vars) when the definitions are built.
    from orchestration.definitions import build_definitions

    return build_definitions()


def dbt_run_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if entry.user_message.startswith("Running dbt command")
    ]


def expected_open_alerts(warehouse: Path, max_age_days: int = 7) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select alert_id from marts.fct_health_alerts
            where is_open and opened_on >= (
                select max(last_condition_on) from marts.fct_health_alerts
            ) - cast(? as integer)
            """,
            [max_age_days],
        ).fetchall()
    return {row[0] for row in rows}


# --------------------------------------------------------------------------- definitions


def test_definitions_load_and_validate(world: OrchestrationWorld, use_world_env):
    env = use_world_env(world.warehouse)
    defs = build_defs()
    repository = defs.get_repository_def()
    graph = repository.asset_graph

    for key in DAILY_MODELS:
        node = graph.get(key)
        assert isinstance(node.partitions_def, DailyPartitionsDefinition), key
        assert node.partitions_def.start.date() == dt.date(2024, 1, 1)
        assert node.backfill_policy is not None
        assert node.backfill_policy.max_partitions_per_run is None, "single-run backfills"
    for key in UNPARTITIONED:
        assert graph.get(key).partitions_def is None, key

    groups = {graph.get(key).group_name for key in graph.materializable_asset_keys}
    assert {"staging", "intermediate", "marts", "quality", "seeds", "snapshots"} <= groups
    assert graph.get(AssetKey(["marts", "dq_rejected_rows"])).group_name == "quality"

    checks = {check.asset_key for check in graph.asset_check_keys}
    assert FCT_HEALTH in checks and AssetKey(["marts", "fct_health_alerts"]) in checks

    # Every op that touches the warehouse is in the single-slot pool.
    ops = {
        assets_def.node_def.name: assets_def.node_def.pool
        for assets_def in repository.assets_defs_by_key.values()
        if assets_def.is_executable
    }
    assert ops.keys() >= {
        "health_upstream_dbt",
        "health_daily_dbt",
        "health_downstream_dbt",
        "alerting__health_alert_delivery",
    }
    assert set(ops.values()) == {POOL}

    assert {job.name for job in repository.get_all_jobs()} >= {
        "health_daily_job",
        "health_recalculation_job",
    }
    assert defs.resolve_schedule_def("health_daily_schedule")
    assert defs.resolve_sensor_def("health_definition_change_sensor")

    output = run([tool("dagster"), "definitions", "validate", "-m", "orchestration.definitions"], env)
    del output


# --------------------------------------------------------------------------- partitions


def test_three_day_range_is_one_dbt_invocation_and_writes_only_those_days(
    world: OrchestrationWorld, use_world_env
):
    warehouse = world.copy_warehouse("range")
    use_world_env(warehouse)
    end = world.end_date
    window = [end - dt.timedelta(days=offset) for offset in (2, 1, 0)]
    untouched = [end - dt.timedelta(days=offset) for offset in (5, 4, 3)]
    with duckdb.connect(str(warehouse)) as connection:
        before = dict(
            connection.execute(
                "select as_of_date, count(*) from marts.fct_account_health_daily group by 1"
            ).fetchall()
        )
        # Mark six days; a run over the last three must rewrite exactly those three.
        connection.execute(
            "update marts.fct_account_health_daily set top_reasons = 'tampered' where as_of_date >= ?",
            [untouched[0]],
        )

    defs = build_defs()
    job = defs.resolve_job_def("health_recalculation_job")
    instance = DagsterInstance.get()
    daily_assets = AssetSelection.tag("grain", "daily").resolve(defs.resolve_asset_graph())
    assert set(DAILY_MODELS) <= daily_assets
    result = job.execute_in_process(
        instance=instance,
        asset_selection=list(daily_assets),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: window[0].isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: window[-1].isoformat(),
        },
    )
    assert result.success

    messages = dbt_run_messages(instance, result.run_id)
    assert len(messages) == 1, messages
    expected_vars = json.dumps(
        {"health_start_date": window[0].isoformat(), "health_end_date": window[-1].isoformat()}
    )
    assert expected_vars in messages[0]
    steps = [event for event in result.all_events if event.event_type == DagsterEventType.STEP_START]
    assert [event.step_key for event in steps] == ["health_daily_dbt"]
    partitions = {
        event.partition
        for event in result.get_asset_materialization_events()
        if event.asset_key == FCT_HEALTH
    }
    assert partitions == {day.isoformat() for day in window}

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        after = dict(
            connection.execute(
                "select as_of_date, count(*) from marts.fct_account_health_daily group by 1"
            ).fetchall()
        )
        tampered = dict(
            connection.execute(
                "select as_of_date, count(*) from marts.fct_account_health_daily "
                "where top_reasons = 'tampered' group by 1"
            ).fetchall()
        )
    assert after == before, "same days, same row counts"
    assert set(tampered) == set(untouched), "only the window's days were rewritten"
    assert all(tampered[day] == before[day] for day in untouched)


def test_a_daily_model_alone_is_refused(world: OrchestrationWorld, use_world_env):
    """Its span-table parents hold another window: building it alone would delete days."""
    use_world_env(world.copy_warehouse("partial"))
    defs = build_defs()
    result = defs.resolve_job_def("health_recalculation_job").execute_in_process(
        instance=DagsterInstance.get(),
        asset_selection=[FCT_HEALTH],
        partition_key=world.end_date.isoformat(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(event for event in result.all_events if event.event_type == DagsterEventType.STEP_FAILURE)
    assert "intermediate/int_account_health_scores" in str(failure.event_specific_data)
    assert dbt_run_messages(DagsterInstance.get(), result.run_id) == []


# --------------------------------------------------------------------------- sensor


def _seeds_copy(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds" / "definitions", seeds)
    return seeds


def _change_a_weight(seeds: Path) -> None:
    path = seeds / "health_pillar_weights.csv"
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["weight"] = str(float(rows[0]["weight"]) + 5)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_definition_change_requests_one_180_day_run_once(
    world: OrchestrationWorld, use_world_env, tmp_path: Path
):
    instance_env = use_world_env(world.warehouse)
    del instance_env
    instance = DagsterInstance.get()

    # Unchanged seeds: nothing to do.
    defs = build_defs()
    sensor = defs.resolve_sensor_def("health_definition_change_sensor")
    unchanged = sensor.evaluate_tick(build_sensor_context(instance=instance, resources=defs.resources))
    assert unchanged.run_requests == []

    seeds = _seeds_copy(tmp_path)
    _change_a_weight(seeds)
    original_version = definition_version(PROJECT_DIR / "seeds" / "definitions")
    new_version = definition_version(seeds)
    assert new_version != original_version

    use_world_env(world.warehouse, HEALTH_SEEDS_DIR=str(seeds))
    defs = build_defs()
    sensor = defs.resolve_sensor_def("health_definition_change_sensor")
    first = sensor.evaluate_tick(build_sensor_context(instance=instance, resources=defs.resources))
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    start = dt.date.fromisoformat(request.tags[ASSET_PARTITION_RANGE_START_TAG])
    end = dt.date.fromisoformat(request.tags[ASSET_PARTITION_RANGE_END_TAG])
    assert end == world.end_date
    assert (end - start).days + 1 == 180
    assert request.partition_key is None, "a range in one run, not 180 runs"
    assert request.tags["health/definition_version"] == new_version
    assert request.tags["health/previous_definition_version"] == original_version
    assert request.run_key == f"definition-{new_version}"
    assert first.cursor == new_version
    assert sensor.job_name == "health_recalculation_job"

    again = sensor.evaluate_tick(
        build_sensor_context(instance=instance, cursor=first.cursor, resources=defs.resources)
    )
    assert again.run_requests == []
    assert "already requested" in (again.skip_message or "")


def test_sensor_skips_while_a_writer_holds_the_warehouse(
    world: OrchestrationWorld, use_world_env, tmp_path: Path
):
    warehouse = world.copy_warehouse("locked")
    seeds = _seeds_copy(tmp_path)
    _change_a_weight(seeds)
    use_world_env(warehouse, HEALTH_SEEDS_DIR=str(seeds))
    defs = build_defs()
    sensor = defs.resolve_sensor_def("health_definition_change_sensor")
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"c = duckdb.connect({str(warehouse)!r})\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
        tick = sensor.evaluate_tick(
            build_sensor_context(instance=DagsterInstance.get(), resources=defs.resources)
        )
    finally:
        writer.kill()
        writer.wait()
    assert tick.run_requests == []
    assert "locked" in (tick.skip_message or "")
    assert tick.cursor is None, "a skipped tick does not consume the change"


# --------------------------------------------------------------------------- schedule


def test_schedule_tick_targets_the_previous_day(world: OrchestrationWorld, use_world_env):
    use_world_env(world.warehouse, HEALTH_SCHEDULE_TIME="06:15", HEALTH_SCHEDULE_TIMEZONE="Europe/Paris")
    defs = build_defs()
    schedule = defs.resolve_schedule_def("health_daily_schedule")
    assert schedule.cron_schedule == "15 6 * * *"
    assert schedule.execution_timezone == "Europe/Paris"
    assert schedule.job_name == "health_daily_job"
    instance = DagsterInstance.get()
    paris = ZoneInfo("Europe/Paris")
    cases = {
        dt.datetime(2026, 11, 22, 6, 15, tzinfo=paris): "2026-11-21",
        dt.datetime(2026, 1, 1, 6, 15, tzinfo=paris): "2025-12-31",
        # 00:30 in Paris is still the previous UTC day: its last complete day is two back.
        dt.datetime(2026, 3, 1, 0, 30, tzinfo=paris): "2026-02-27",
    }
    for tick_time, partition in cases.items():
        data = schedule.evaluate_tick(
            build_schedule_context(
                instance=instance,
                scheduled_execution_time=tick_time,
                repository_def=defs.get_repository_def(),
            )
        )
        assert [request.partition_key for request in data.run_requests] == [partition]


# --------------------------------------------------------------------------- alert delivery


def _deliver_in_process(defs) -> None:
    # The resolved assets definition carries the definitions' resources.
    result = materialize([defs.resolve_assets_def(DELIVERY)], instance=DagsterInstance.get())
    assert result.success


def test_alerts_reach_the_webhook_once_despite_failures_and_restarts(
    world: OrchestrationWorld, use_world_env, webhook_server, tmp_path: Path
):
    expected = expected_open_alerts(world.warehouse)
    assert expected, "the test dataset should open some alerts"
    webhook_server.fail_first = 2
    url = webhook_server.start()
    log_path = tmp_path / "deliveries.sqlite"
    env = use_world_env(
        world.warehouse,
        HEALTH_ALERT_WEBHOOK_URL=url,
        HEALTH_ALERT_DELIVERY_LOG=str(log_path),
        HEALTH_ALERT_WEBHOOK_BACKOFF_SECONDS="0.01",
        HEALTH_ALERT_WEBHOOK_TIMEOUT_SECONDS="5",
    )
    defs = build_defs()

    _deliver_in_process(defs)
    received = webhook_server.alert_ids()
    assert Counter(received) == Counter(expected), "each alert exactly once"
    assert webhook_server.attempts == len(expected) + 2, "two failures were retried"
    body = webhook_server.requests[0]
    assert body["text"] and body["blocks"][0]["type"] == "section"

    _deliver_in_process(defs)  # a second run (or a retry of the step)
    assert webhook_server.alert_ids() == received

    # A restart: a new process, new definitions, the same delivery log.
    run(
        [
            tool("dagster"),
            "asset",
            "materialize",
            "-m",
            "orchestration.definitions",
            "--select",
            DELIVERY.to_user_string(),
        ],
        env,
    )
    assert webhook_server.alert_ids() == received
    with sqlite3.connect(log_path) as connection:
        states = dict(connection.execute("select alert_id, state from alert_deliveries"))
    assert states == {alert_id: "delivered" for alert_id in expected}


def test_unknown_outcome_is_never_resent(
    world: OrchestrationWorld, use_world_env, webhook_server, tmp_path: Path
):
    expected = expected_open_alerts(world.warehouse)
    webhook_server.stall_seconds = 1.0  # answers after the client gave up
    url = webhook_server.start()
    use_world_env(
        world.warehouse,
        HEALTH_ALERT_WEBHOOK_URL=url,
        HEALTH_ALERT_DELIVERY_LOG=str(tmp_path / "deliveries.sqlite"),
        HEALTH_ALERT_WEBHOOK_TIMEOUT_SECONDS="0.3",
        HEALTH_ALERT_WEBHOOK_BACKOFF_SECONDS="0.01",
    )
    defs = build_defs()
    _deliver_in_process(defs)  # three timeouts in a row: stops early
    uncertain = set(webhook_server.arrived)
    assert len(uncertain) == 3

    webhook_server.stall_seconds = 0.0
    _deliver_in_process(defs)
    # The slow receiver did take the three in the end; none of them was sent again.
    assert Counter(webhook_server.arrived) == Counter(expected), "no alert arrives twice"
    assert Counter(webhook_server.alert_ids()) == Counter(expected)


def test_without_webhook_alerts_go_to_the_outbox_once(
    world: OrchestrationWorld, use_world_env, tmp_path: Path
):
    expected = expected_open_alerts(world.warehouse)
    outbox = tmp_path / "alerts_outbox.jsonl"
    use_world_env(
        world.warehouse,
        HEALTH_ALERT_OUTBOX_PATH=str(outbox),
        HEALTH_ALERT_DELIVERY_LOG=str(tmp_path / "deliveries.sqlite"),
    )
    defs = build_defs()
    _deliver_in_process(defs)
    _deliver_in_process(defs)
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert Counter(line["alert_id"] for line in lines) == Counter(expected)
    assert all(line["details"] and line["text"] for line in lines)


# --------------------------------------------------------------------------- one writer


def test_two_runs_started_together_queue_on_the_warehouse_pool(world: OrchestrationWorld, use_world_env):
    warehouse = world.copy_warehouse("concurrent")
    env = use_world_env(warehouse)
    command = [
        tool("dagster"),
        "asset",
        "materialize",
        "-m",
        "orchestration.definitions",
        "--select",
        "marts/fct_health_alerts",
    ]
    processes = [
        subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-5000:]

    instance = DagsterInstance.get()
    runs = instance.get_runs(limit=2)
    assert len(runs) == 2 and all(run.is_success for run in runs)
    windows = []
    for dagster_run in runs:
        times = {
            entry.dagster_event.event_type: entry.timestamp
            for entry in instance.all_logs(dagster_run.run_id)
            if entry.dagster_event is not None
            and entry.dagster_event.event_type in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
        }
        windows.append((times[DagsterEventType.STEP_START], times[DagsterEventType.STEP_SUCCESS]))
    windows.sort()
    assert windows[0][1] <= windows[1][0], f"steps overlapped: {windows}"
    limits = {pool.name: pool.limit for pool in instance.event_log_storage.get_pool_limits()}
    assert limits.get(POOL) == 1
