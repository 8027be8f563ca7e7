"""The production pipeline (orchestration/): the Dagster code location is the system.

A real Dagster instance in a temporary DAGSTER_HOME, the real dbt CLI, Great Expectations
checkpoints, DuckDB files: the session's warehouse (tests/conftest.py, built by this very
pipeline) is copied by each test that writes, with its serving copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from _pipeline import (
    PROJECT_DIR,
    assert_success,
    pipeline_env,
    project_copy,
    run_pipeline,
    run_vars_logged,
)
from conftest import BUILD_NOW, copy_project, generate
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    build_schedule_context,
    build_sensor_context,
)

from customer_health import serving
from orchestration.run import PLANNED_EVENTS_ENV, failure_messages, planned_events_per_asset

POOL = "duckdb_warehouse"
FCT_HEALTH = AssetKey(["marts", "fct_account_health_daily"])
PUBLICATION = AssetKey(["serving", "health_marts"])
DELIVERY = AssetKey(["alerting", "health_alert_delivery"])
DAILY_MODELS = [
    FCT_HEALTH,
    AssetKey(["marts", "fct_indicator_scores_daily"]),
    AssetKey(["intermediate", "int_product_activity_daily"]),
    AssetKey(["intermediate", "int_account_days"]),
    AssetKey(["intermediate", "int_account_health_scores"]),
]
UNPARTITIONED = [
    AssetKey(["definitions", "health_profiles"]),
    AssetKey(["staging", "stg_crm__accounts"]),
    AssetKey(["intermediate", "int_health_definition_version"]),
    AssetKey(["marts", "fct_health_alerts"]),
    PUBLICATION,
]


def copy_world(built_warehouse, tmp_path: Path) -> Path:
    """A writable copy of the session warehouse and its serving copy under tmp_path."""
    warehouse = built_warehouse.copy_to(tmp_path)
    shutil.copytree(built_warehouse.serving_dir, tmp_path / "serving", symlinks=True)
    return warehouse


def build_defs():
    from orchestration.definitions import build_definitions

    return build_definitions()


def dbt_commands(instance: DagsterInstance, run_id: str) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if entry.user_message.startswith("Running dbt command")
    ]


def day_counts(path: Path, table: str) -> dict[dt.date, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return dict(connection.execute(f"select as_of_date, count(*) from {table} group by 1").fetchall())


# --------------------------------------------------------------------------- the graph


def test_definitions_load_and_validate_without_the_venv_on_path(built_warehouse, tmp_path):
    warehouse = copy_world(built_warehouse, tmp_path)
    with pipeline_env(warehouse, tmp_path) as env:
        defs = build_defs()
        repository = defs.get_repository_def()
        graph = repository.asset_graph
        for key in DAILY_MODELS:
            node = graph.get(key)
            assert isinstance(node.partitions_def, DailyPartitionsDefinition), key
            assert node.backfill_policy is not None and node.backfill_policy.max_partitions_per_run is None
        for key in UNPARTITIONED:
            assert graph.get(key).partitions_def is None, key
        assert graph.get(AssetKey(["marts", "dq_rejected_rows"])).group_name == "quality"
        assert graph.get(AssetKey(["raw", "product", "tracks"])).group_name == "raw"

        checks = {(key.asset_key, key.name): graph.get_check_spec(key) for key in graph.asset_check_keys}
        gx = checks[(FCT_HEALTH, "great_expectations")]
        assert gx.blocking, "the mart checks gate the publication"
        assert not checks[(AssetKey(["raw", "crm", "account"]), "load_profile")].blocking
        assert any(asset == FCT_HEALTH and name != "great_expectations" for asset, name in checks), (
            "dbt tests"
        )
        # The publication sits below every public mart; alert delivery below the publication.
        publication_parents = graph.get(PUBLICATION).parent_keys
        assert {FCT_HEALTH, AssetKey(["marts", "fct_hierarchy_health_daily"])} <= publication_parents
        assert PUBLICATION in graph.get(AssetKey(["alerting", "health_alert_delivery"])).parent_keys

        ops = {
            assets_def.node_def.name: assets_def.node_def.pool
            for assets_def in repository.assets_defs_by_key.values()
            if assets_def.is_executable
        }
        for op in ("health_dbt", "serving__health_marts"):
            assert ops[op] == POOL, op
        assert defs.resolve_schedule_def("health_daily_schedule")
        assert defs.resolve_sensor_def("health_definition_change_sensor")

        # Loads in a fresh process whose PATH does not hold the venv (as `make dagster` runs it).
        venv_bin = str(Path(sys.executable).parent)
        path = os.pathsep.join(
            p for p in env.get("PATH", os.environ["PATH"]).split(os.pathsep) if p != venv_bin
        )
        completed = subprocess.run(
            [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "orchestration.definitions"],
            cwd=PROJECT_DIR,
            env={**os.environ, "PATH": path},
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        assert shutil.which("dbt", path=path) is None or venv_bin not in path


def test_the_scheduled_job_on_a_fresh_warehouse_publishes_that_day(tmp_path):
    """The schedule's job, one partition, raw data only: that day is built, checked, published."""
    warehouse = tmp_path / "health.duckdb"
    day = dt.date(2026, 10, 31)
    generate(warehouse, accounts=40, days=150, bad_rows_rate=0.02)
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW):
        defs = build_defs()
        schedule = defs.resolve_schedule_def("health_daily_schedule")
        tick = schedule.evaluate_tick(
            build_schedule_context(
                instance=DagsterInstance.get(),
                scheduled_execution_time=dt.datetime(2026, 11, 1, 2, 30, tzinfo=dt.UTC),
                repository_def=defs.get_repository_def(),
            )
        )
        [request] = tick.run_requests
        assert request.partition_key == day.isoformat()
        result = defs.resolve_job_def(schedule.job_name).execute_in_process(
            instance=DagsterInstance.get(), partition_key=request.partition_key, tags=request.tags
        )
        assert_success(result)
    current = tmp_path / "serving" / "current.duckdb"
    assert current.is_symlink()
    with duckdb.connect(str(current), read_only=True) as connection:
        for table in ("fct_account_health_daily", "fct_hierarchy_health_daily"):
            days = connection.execute(f"select as_of_date, count(*) from marts.{table} group by 1").fetchall()
            assert [d for d, _ in days] == [day] and days[0][1] > 0, (table, days)
        with duckdb.connect(str(warehouse), read_only=True) as source:
            expected = source.execute(serving.content_hash_sql("marts.fct_account_health_daily")).fetchone()
        assert (
            connection.execute(serving.content_hash_sql("marts.fct_account_health_daily")).fetchone()
            == expected
        )


def test_a_failing_blocking_check_fails_the_run_and_keeps_the_publication(built_warehouse, tmp_path):
    """A day before any customer: dbt writes no rows for it, the blocking GX check on the
    window says so, the run fails with that message, nothing is published or delivered."""
    warehouse = copy_world(built_warehouse, tmp_path)
    before = serving.current_path(tmp_path / "serving")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        first_start = connection.execute(
            "select min(active_from_date) from intermediate.int_subscription_items_enriched"
        ).fetchone()[0]
    empty_day = first_start - dt.timedelta(days=10)
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW, HEALTH_PARTITIONS_START="2000-01-01"):
        result = run_pipeline("health_daily_job", empty_day, empty_day)
    assert not result.success
    messages = "\n".join(failure_messages(result))
    assert "great_expectations on marts/fct_account_health_daily failed" in messages
    assert "The run wrote rows" in messages or "expect_table_row_count" in messages
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert FCT_HEALTH in materialized, "dbt wrote the (empty) day; the check stopped what follows"
    assert PUBLICATION not in materialized and DELIVERY not in materialized
    assert serving.current_path(tmp_path / "serving") == before


def test_an_injected_score_of_140_fails_the_run_and_keeps_the_publication(built_warehouse, tmp_path):
    """A dbt test (health_score within 0-100) is a blocking check too: the step fails."""
    project = copy_project(tmp_path)
    model = project / "models" / "marts" / "health" / "fct_account_health_daily.sql"
    sql = model.read_text()
    injected = (
        "        case when current_scores.account_id = (select min(account_id) from current_scores)\n"
        "            then 140.0 else current_scores.health_score end as health_score,\n"
    )
    assert "        current_scores.health_score,\n" in sql
    model.write_text(sql.replace("        current_scores.health_score,\n", injected, 1))
    warehouse = copy_world(built_warehouse, tmp_path)
    before = serving.current_path(tmp_path / "serving")
    day = built_warehouse.end_date
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW, **project_copy(project)):
        from customer_health.manifest import prepare

        prepare()
        result = run_pipeline("health_daily_job", day, day)
        planned = planned_events(DagsterInstance.get(), result.run_id, FCT_HEALTH)
    assert not result.success
    messages = failure_messages(result)
    failed_checks = [message.split()[1] for message in messages if message.startswith("check ")]
    assert len(failed_checks) == 1, messages
    assert failed_checks[0].startswith("column_values_fct_account_health_daily_"), messages
    assert "_0_100_" in failed_checks[0], "the check holds the 0-100 range rules (health_score's)"
    assert any(message.startswith("health_dbt: ") for message in messages), messages
    assert planned == [(day.isoformat(), None)], "a one-day run plans its day (decision 0015)"
    assert serving.current_path(tmp_path / "serving") == before


def test_a_node_the_manifest_lacks_fails_the_step_and_stops_dbt(built_warehouse, tmp_path):
    """A dbt test added after the manifest was prepared (no `make manifest`; the dbt step warns
    of it): dagster-dbt fails on the node it does not know, and dbt stops with the step. Left
    running, dbt held the warehouse's write lock after the step failed: the run's raw checks
    failed on the lock, and the next run would have."""
    from customer_health.manifest import prepare

    project = copy_project(tmp_path)
    (project / "data-tests" / "assert_a_test_the_manifest_lacks.sql").write_text(
        "select account_id from {{ ref('dim_account') }} where false\n"
    )
    warehouse = copy_world(built_warehouse, tmp_path)
    day = built_warehouse.end_date
    # The code location reads the manifest of the project as it was before the test was added.
    stale = {**project_copy(project), "HEALTH_DBT_MANIFEST": str(prepare())}
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW, **stale):
        result = run_pipeline("health_daily_job", day, day)
    assert not result.success
    messages = failure_messages(result)
    assert len(messages) == 1, messages
    assert messages[0].startswith("health_dbt: "), messages
    assert "KeyError: 'test.customer_health.assert_a_test_the_manifest_lacks'" in messages[0], messages
    duckdb.connect(str(warehouse)).close()  # no dbt holds the warehouse


def test_whole_history_tests_run_in_the_weekly_job_only(built_warehouse):
    """The session build ran the daily job, then the weekly job, on one instance: the dbt
    tests tagged history_scan were evaluated by the weekly run alone (decision 0006)."""
    from customer_health.manifest import load_manifest, prepare
    from orchestration.dbt.history_checks import HISTORY_SCAN_TAG, build_history_checks
    from orchestration.dbt.translator import HealthDbtTranslator

    history = set(build_history_checks(load_manifest(prepare()), HealthDbtTranslator()).check_keys)
    assert len(history) >= 4
    with pipeline_env(built_warehouse.path, built_warehouse.path.parent):
        instance = DagsterInstance.get()
        evaluated, ran = {}, []
        for dagster_run in instance.get_runs():
            ran += [
                entry.user_message
                for entry in instance.all_logs(dagster_run.run_id)
                if entry.user_message.startswith(f"dbt test --select tag:{HISTORY_SCAN_TAG}:")
            ]
            evaluated[dagster_run.job_name] = {
                (
                    entry.dagster_event.event_specific_data.asset_key,
                    entry.dagster_event.event_specific_data.check_name,
                )
                for entry in instance.all_logs(
                    dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
                )
            }
    weekly, daily = evaluated["health_weekly_job"], evaluated["health_daily_job"]
    assert ran == [f"dbt test --select tag:{HISTORY_SCAN_TAG}: {len(history)} of {len(history)} ran"]
    assert {(key.asset_key, key.name) for key in history} <= weekly
    # The weekly run validates its marts with Great Expectations after its dbt step, as
    # every job does: its dbt op opens the GX project ahead too (orchestration/dbt/assets.py).
    assert {
        (AssetKey(["marts", mart]), "great_expectations")
        for mart in ("fct_churn_risk", "rpt_churn_model_evaluation")
    } <= weekly
    assert not {(key.asset_key, key.name) for key in history} & daily
    manifest = load_manifest(prepare())
    nodes = manifest["nodes"]
    daily_tests = {
        node["name"]
        for node in nodes.values()
        if node["resource_type"] == "test"
        and node.get("attached_node")  # a generic test: an asset check of its model,
        and nodes[node["attached_node"]]["config"]["materialized"] != "ephemeral"  # if it is one
        and "history_scan" not in node["tags"]
        and not any(
            "weekly" in nodes.get(parent, {}).get("tags", []) for parent in node["depends_on"]["nodes"]
        )
    }
    assert len(daily_tests) > 150  # 191 at decision 0023; a broken filter leaves few or none
    assert daily_tests <= {name for _, name in daily}, "every other dbt test ran daily"


# --------------------------------------------------------------------------- partitions


def test_a_range_is_one_dbt_invocation_and_rewrites_only_those_days(built_warehouse, tmp_path):
    warehouse = copy_world(built_warehouse, tmp_path)
    end = built_warehouse.end_date
    window = [end - dt.timedelta(days=offset) for offset in (2, 1, 0)]
    untouched = [end - dt.timedelta(days=offset) for offset in (5, 4, 3)]
    before = day_counts(warehouse, "marts.fct_account_health_daily")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "update marts.fct_account_health_daily set top_reasons = 'tampered' where as_of_date >= ?",
            [untouched[0]],
        )
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW):
        result = run_pipeline("health_recalculation_job", window[0], window[-1])
        assert_success(result)
        commands = dbt_commands(DagsterInstance.get(), result.run_id)
        run_vars = run_vars_logged(DagsterInstance.get(), result.run_id)
        planned = planned_events(DagsterInstance.get(), result.run_id, FCT_HEALTH)
    assert len(commands) == 1, f"one dbt build for the whole window: {commands}"
    assert planned == [(None, [day.isoformat() for day in window])], (
        "one planned event per asset (decision 0015)"
    )
    assert PLANNED_EVENTS_ENV not in os.environ
    assert "--vars" not in commands[0], "the window travels in the environment (decision 0010)"
    assert " --threads 1 " in f"{commands[0]} ", "a run over several days runs one dbt thread (decision 0014)"
    assert run_vars == [
        {"health_start_date": window[0].isoformat(), "health_end_date": window[-1].isoformat()}
    ]
    partitions = {
        event.partition
        for event in result.get_asset_materialization_events()
        if event.asset_key == FCT_HEALTH
    }
    assert partitions == {day.isoformat() for day in window}
    assert day_counts(warehouse, "marts.fct_account_health_daily") == before
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tampered = {
            day
            for (day,) in connection.execute(
                "select distinct as_of_date from marts.fct_account_health_daily where top_reasons = 'tampered'"
            ).fetchall()
        }
    assert tampered == set(untouched), "only the window's days were rewritten"


def planned_events(instance: DagsterInstance, run_id: str, key: AssetKey) -> list[tuple]:
    """(partition, the range's partition keys) of each planned materialization of `key`."""
    planned = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
        data = entry.dagster_event.event_specific_data
        if data.asset_key == key:
            subset = data.partitions_subset
            planned.append((data.partition, sorted(subset.get_partition_keys()) if subset else None))
    return planned


def test_one_planned_event_per_asset_only_while_a_run_over_several_days_is_created(monkeypatch):
    """Dagster's opt-in is set for runs over more than one day, never left behind, and an
    explicit setting in the environment wins (decision 0015)."""
    monkeypatch.delenv(PLANNED_EVENTS_ENV, raising=False)
    for days, inside in ((0, None), (1, None), (2, "true"), (180, "true")):
        with planned_events_per_asset(days):
            assert os.environ.get(PLANNED_EVENTS_ENV) == inside, days
        assert PLANNED_EVENTS_ENV not in os.environ
    monkeypatch.setenv(PLANNED_EVENTS_ENV, "false")
    with planned_events_per_asset(180):
        assert os.environ[PLANNED_EVENTS_ENV] == "false"
    assert os.environ[PLANNED_EVENTS_ENV] == "false"


# --------------------------------------------------------------------------- sensor


def _change_a_weight(seeds: Path) -> None:
    path = seeds / "health_pillar_weights.csv"
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["weight"] = str(float(rows[0]["weight"]) + 5)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_the_sensor_skips_while_a_writer_holds_the_warehouse_or_the_pool(built_warehouse, tmp_path):
    project = copy_project(tmp_path)
    _change_a_weight(project / "seeds" / "definitions")
    warehouse = copy_world(built_warehouse, tmp_path)
    with pipeline_env(warehouse, tmp_path, HEALTH_SEEDS_DIR=str(project / "seeds" / "definitions")):
        defs = build_defs()
        instance = DagsterInstance.get()
        sensor = defs.resolve_sensor_def("health_definition_change_sensor")
        writer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import duckdb, sys\nc = duckdb.connect({str(warehouse)!r})\nprint('locked', flush=True)\n"
                "sys.stdin.readline()\n",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
            locked = sensor.evaluate_tick(build_sensor_context(instance=instance, resources=defs.resources))
        finally:
            writer.communicate("done\n", timeout=30)
        assert locked.run_requests == [] and "locked" in (locked.skip_message or "")
        assert locked.cursor is None, "a skipped tick does not consume the change"

        # A run holding the warehouse pool: the tick does not even open the file.
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        claim = instance.event_log_storage.claim_concurrency_slot(POOL, "some-run", "some-step")
        assert claim.is_claimed
        try:
            busy = sensor.evaluate_tick(build_sensor_context(instance=instance, resources=defs.resources))
        finally:
            instance.event_log_storage.free_concurrency_slots_for_run("some-run")
        assert busy.run_requests == [] and POOL in (busy.skip_message or "")
        retry = sensor.evaluate_tick(build_sensor_context(instance=instance, resources=defs.resources))
        assert len(retry.run_requests) == 1, "the next free tick requests the recalculation"


# --------------------------------------------------------------------------- schedule


def test_schedule_tick_targets_the_previous_day(built_warehouse, tmp_path, monkeypatch):
    # The scheduled time counts only without a fixed clock (under HEALTH_NOW the tick is then).
    monkeypatch.delenv("HEALTH_NOW", raising=False)
    with pipeline_env(
        built_warehouse.path, tmp_path, HEALTH_SCHEDULE_TIME="06:15", HEALTH_SCHEDULE_TIMEZONE="Europe/Paris"
    ):
        defs = build_defs()
        schedule = defs.resolve_schedule_def("health_daily_schedule")
        assert schedule.cron_schedule == "15 6 * * *"
        assert schedule.execution_timezone == "Europe/Paris"
        assert schedule.job_name == "health_daily_job"
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
                    instance=DagsterInstance.get(),
                    scheduled_execution_time=tick_time,
                    repository_def=defs.get_repository_def(),
                )
            )
            assert [request.partition_key for request in data.run_requests] == [partition]


# --------------------------------------------------------------------------- one writer


BLOCKED = f"Step blocked by limit for pool {POOL}"


def blocked_runs(instance: DagsterInstance) -> set[str]:
    """The runs whose step said it waits for a slot of the warehouse pool."""
    return {
        run.run_id
        for run in instance.get_runs()
        if any(entry.user_message == BLOCKED for entry in instance.all_logs(run.run_id))
    }


@pytest.mark.parametrize("runs", [2])
def test_runs_started_together_queue_on_the_warehouse_pool(built_warehouse, tmp_path, runs):
    """Runs started together, each in its own process, wait for the pool's one slot: the
    test holds the slot until every run says its step is blocked, then lets them go; their
    steps run one after the other. The runs materialize the publication, an op of the pool
    like the dbt op (test_definitions_load_and_validate_without_the_venv_on_path checks
    both): the pool is what is tested, and such a run needs no dbt invocation."""
    warehouse = copy_world(built_warehouse, tmp_path)
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW) as env:
        instance = DagsterInstance.get()  # the storage, before the processes race to create it
        storage = instance.event_log_storage
        assert storage.initialize_concurrency_limit_to_default(POOL), "dagster.yaml's default_limit"
        assert storage.claim_concurrency_slot(POOL, "the-test", "holding").is_claimed
        command = [
            sys.executable,
            "-m",
            "dagster",
            "asset",
            "materialize",
            "-m",
            "orchestration.definitions",
            "--select",
            PUBLICATION.to_user_string(),
        ]
        logs = [tmp_path / f"run-{number}.log" for number in range(runs)]
        processes = []
        for log in logs:
            with log.open("w") as output:  # the child keeps its own copy of the handle
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=PROJECT_DIR,
                        env={**os.environ, **env},
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            deadline = time.monotonic() + 300
            while len(blocked := blocked_runs(instance)) < runs:
                finished = [
                    log.read_text()[-3000:]
                    for process, log in zip(processes, logs, strict=True)
                    if process.poll() is not None
                ]
                assert not finished, f"a run ended without waiting for the pool: {finished}"
                assert time.monotonic() < deadline, f"runs blocked by the pool after 300 s: {blocked}"
                time.sleep(0.2)  # the interval of a poll that waits for the runs' events
        finally:
            storage.free_concurrency_slots_for_run("the-test")
        for process, log in zip(processes, logs, strict=True):
            assert process.wait(timeout=600) == 0, log.read_text()[-5000:]
        dagster_runs = instance.get_runs(limit=runs)
        assert len(dagster_runs) == runs and all(run.is_success for run in dagster_runs)
        assert blocked == {run.run_id for run in dagster_runs}
        windows = []
        for dagster_run in dagster_runs:
            times = {
                entry.dagster_event.event_type: entry.timestamp
                for entry in instance.all_logs(dagster_run.run_id)
                if entry.dagster_event is not None
                and entry.dagster_event.event_type
                in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
            }
            windows.append((times[DagsterEventType.STEP_START], times[DagsterEventType.STEP_SUCCESS]))
        windows.sort()
        assert windows[0][1] <= windows[1][0], f"steps overlapped: {windows}"
        limits = {pool.name: pool.limit for pool in storage.get_pool_limits()}
        assert limits.get(POOL) == 1
