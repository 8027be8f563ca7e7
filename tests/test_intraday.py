"""Live days (issue 17): the intraday sensor and job, and the nightly finalisation.

A real Dagster instance in a temporary DAGSTER_HOME, the real dbt CLI and the project's
clock HEALTH_NOW (no sleeping, no patching): events land at 09:00-09:50 with _loaded_at
10:01; the sensor's tick at 10:05 launches health_intraday_job for today, which writes
today's partial rows (license utilization counts this morning's users) and opens a usage
alert, published for BI and delivered; the daily schedule's run for that day at 03:00 the
next morning finalises it, equal to a single end-of-day run; the alert is delivered once.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from _intraday_world import (
    DAY,
    INTRADAY_AT,
    NIGHTLY_AT,
    RAW_TABLES,
    TODAY,
    account_x,
    afternoon_events,
    day_rows,
    defs_now,
    land_row,
    morning_events,
    outbox_ids,
    query,
    raw_world,
    usage_alerts,
    utilization,
)
from _pipeline import assert_success, pipeline_env, run_pipeline, run_vars_logged
from conftest import END_DATE, generate, run_dbt, window_vars
from dagster import DagsterInstance, DagsterRunStatus, build_schedule_context, build_sensor_context

from customer_health import serving
from customer_health.manifest import kept_tables
from healthgen.landing import land_events, land_hour
from orchestration.dbt.invocations import invocation_dirs
from orchestration.run import execute_request

DAILY_MARTS = (
    "fct_account_health_daily",
    "fct_indicator_scores_daily",
    "fct_hierarchy_health_daily",
    "fct_segment_health_daily",
)


# --------------------------------------------------------------------------- the story


def test_intraday_partial_day_then_nightly_finalisation_with_one_delivery(built_warehouse, tmp_path: Path):
    world, reference = tmp_path / "world", tmp_path / "reference"
    world.mkdir()
    # Up to last night: the session warehouse, whose raw data has account X's usage
    # reshaped (`reshape_usage`), scored up to DAY over more than the 31 days the alert rules
    # need (they compare today with the scored day 30 days earlier), built in the morning of
    # TODAY, before anything landed.
    assert built_warehouse.end_date == DAY
    assert built_warehouse.start_date <= DAY - dt.timedelta(days=30)
    warehouse = built_warehouse.copy_to(world)
    shutil.copytree(built_warehouse.serving_dir, world / "serving", symlinks=True)
    for delivered in ("outbox.jsonl", "deliveries.sqlite"):  # last night's deliveries
        shutil.copyfile(built_warehouse.path.parent / delivered, world / delivered)
    account_id, users = account_x(warehouse)
    assert len(users) >= 3
    assert query(warehouse, "select count(*) from product.tracks where id like 'burst-%'")[0][0] > 0
    assert usage_alerts(warehouse, account_id) == [], "no usage alert before today"
    # dbt's parse state, left by an invocation with last night's window (the session
    # warehouse may have been built by another test process, whose state is not this one's).
    run_dbt(["parse", "--vars", window_vars(built_warehouse.start_date, DAY)], warehouse, world)
    seats = query(
        warehouse,
        "select licensed_seats from marts.fct_account_health_daily where account_id = ? and as_of_date = ?",
        [account_id, DAY],
    )[0][0]
    assert seats and seats > 0

    # 09:55, a new sensor (no cursor): nothing landed since last night's run loaded it all.
    with pipeline_env(warehouse, world, now=INTRADAY_AT - dt.timedelta(minutes=10)):
        defs = defs_now()
        quiet = defs.resolve_sensor_def("health_intraday_sensor").evaluate_tick(
            build_sensor_context(
                instance=DagsterInstance.get(),
                resources=defs.resources,
                repository_def=defs.get_repository_def(),
            )
        )
        assert quiet.run_requests == [] and "no rows landed" in (quiet.skip_message or "")

    # The same world, for a single end-of-day run of TODAY without any intraday run.
    shutil.copytree(world, reference, symlinks=True, ignore=shutil.ignore_patterns("dagster_home"))
    for target in (warehouse, reference / "health.duckdb"):
        assert land_events(target, morning_events(users)) == 5

    # 10:05: the sensor sees the rows landed at 10:01 and launches the intraday run.
    with pipeline_env(warehouse, world, now=INTRADAY_AT, HEALTH_INTRADAY_MIN_INTERVAL_MINUTES="15"):
        defs = defs_now()
        instance = DagsterInstance.get()
        sensor = defs.resolve_sensor_def("health_intraday_sensor")
        repository = defs.get_repository_def()
        tick = sensor.evaluate_tick(
            build_sensor_context(
                instance=instance, cursor=quiet.cursor, resources=defs.resources, repository_def=repository
            )
        )
        [request] = tick.run_requests
        assert request.partition_key == TODAY.isoformat()
        assert request.tags["health/landed_tables"] == "product.tracks"
        result = execute_request(defs.resolve_job_def(sensor.job_name), request, instance)
        assert_success(result)
        commands = [
            entry.user_message
            for entry in instance.all_logs(result.run_id)
            if entry.user_message.startswith("Running dbt command")
        ]
        assert commands and all(
            "--exclude-resource-type unit_test" in command
            and "--threads" not in command  # one day: the profile's threads (decision 0014)
            # a subset leaves out the whole-history tests itself; a whole op by its selector
            and ("--exclude tag:history_scan" in command or "--selector health_" in command)
            for command in commands
        ), commands
        run_vars = run_vars_logged(instance, result.run_id)
        assert run_vars == [
            {
                "health_start_date": TODAY.isoformat(),
                "health_end_date": TODAY.isoformat(),
                "recompute_scoring_span": False,
            }
        ], run_vars
        # The window changed since the dbt invocation before it, and the parse state stayed
        # valid: the run vars travel outside `--vars` (decision 0010).
        [dbt_log] = (world / "dbt_target").glob(f"health_dbt-{result.run_id[:7]}-*/dbt.log")
        assert "Unable to do partial parsing" not in dbt_log.read_text(), "a full re-parse"
        ran = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
        assert {"staging/base_product__tracks", "marts/fct_account_health_daily"} <= ran
        assert not ran & {"staging/base_crm__accounts", "marts/dq_rejected_rows"}, "not fed by the landing"
        again = sensor.evaluate_tick(
            build_sensor_context(
                instance=instance, cursor=tick.cursor, resources=defs.resources, repository_def=repository
            )
        )
        assert again.run_requests == [] and "no rows landed" in (again.skip_message or "")

    # Today's partial rows, for every scored account, stamped with the run's clock.
    (partial_accounts, flags, stamps) = query(
        warehouse,
        "select count(*), list(distinct is_partial_day), list(distinct computed_at) "
        "from marts.fct_account_health_daily where as_of_date = ?",
        [TODAY],
    )[0]
    assert partial_accounts >= 10 and flags == [True]
    assert stamps == [INTRADAY_AT.replace(tzinfo=None)]
    raw_value, seats_today, is_partial = utilization(warehouse, account_id, TODAY)
    assert is_partial and raw_value == pytest.approx(2 / seats_today), "this morning's two users count"
    for table in DAILY_MARTS[2:]:
        assert query(
            warehouse, f"select bool_and(is_partial_day) from marts.{table} where as_of_date = ?", [TODAY]
        ) == [(True,)], table
    [(alert_id, opened_on, is_open)] = usage_alerts(warehouse, account_id)
    assert (opened_on, is_open) == (TODAY, True)

    # Published for BI, and delivered.
    published = serving.current_path(world / "serving")
    assert published is not None
    assert serving.publication_info(world / "serving")["as_of_end"] == TODAY
    assert usage_alerts(published, account_id) == [(alert_id, TODAY, True)]
    assert query(
        published,
        "select is_partial_day, computed_at from marts.fct_account_health_daily "
        "where account_id = ? and as_of_date = ?",
        [account_id, TODAY],
    ) == [(True, INTRADAY_AT.replace(tzinfo=None))]
    assert outbox_ids(world / "outbox.jsonl").count(alert_id) == 1

    # More usage lands later in the day (after the last intraday run).
    for target in (warehouse, reference / "health.duckdb"):
        land_events(target, afternoon_events(users))

    # 03:00 the next morning: the daily schedule's run for TODAY finalises it. It keeps
    # the directories of the last two dbt invocations (the intraday run's and its own).
    with pipeline_env(warehouse, world, now=NIGHTLY_AT, HEALTH_DBT_KEEP_INVOCATIONS="2"):
        defs = defs_now()
        instance = DagsterInstance.get()
        schedule = defs.resolve_schedule_def("health_daily_schedule")
        [nightly] = schedule.evaluate_tick(
            build_schedule_context(
                instance=instance,
                scheduled_execution_time=NIGHTLY_AT,
                repository_def=defs.get_repository_def(),
            )
        ).run_requests
        assert nightly.partition_key == TODAY.isoformat()
        nightly_result = defs.resolve_job_def(schedule.job_name).execute_in_process(
            instance=instance, partition_key=nightly.partition_key, tags=nightly.tags
        )
        assert_success(nightly_result)
    kept = sorted(path.name.rsplit("-", 1)[0] for path in invocation_dirs(world / "dbt_target"))
    assert kept == sorted(f"health_dbt-{run.run_id[:7]}" for run in (result, nightly_result)), kept
    # The single end-of-day run, in the reference world.
    with pipeline_env(reference / "health.duckdb", reference, now=NIGHTLY_AT):
        assert_success(run_pipeline("health_daily_job", TODAY, TODAY))

    raw_value, seats_today, is_partial = utilization(warehouse, account_id, TODAY)
    assert not is_partial and raw_value == pytest.approx(3 / seats_today), "the afternoon user counts"
    for table in DAILY_MARTS:
        assert query(
            warehouse,
            f"select list(distinct is_partial_day), list(distinct computed_at) from marts.{table} "
            "where as_of_date = ?",
            [TODAY],
        ) == [([False], [NIGHTLY_AT.replace(tzinfo=None)])], table
        final = day_rows(warehouse, table, TODAY)
        assert final and final == day_rows(reference / "health.duckdb", table, TODAY), table
    alerts_sql = "select * from marts.fct_health_alerts order by alert_id"
    assert query(warehouse, alerts_sql) == query(reference / "health.duckdb", alerts_sql)

    # The alert raised intraday is the nightly run's alert too: still open, delivered once.
    assert usage_alerts(warehouse, account_id) == [(alert_id, TODAY, True)]
    assert usage_alerts(serving.current_path(world / "serving"), account_id) == [(alert_id, TODAY, True)]
    delivered = outbox_ids(world / "outbox.jsonl")
    assert delivered.count(alert_id) == 1
    assert len(delivered) == len(set(delivered)), "no alert is delivered twice"
    assert alert_id in outbox_ids(reference / "outbox.jsonl")


# --------------------------------------------------------------------------- the sensor


def test_the_intraday_sensor_launches_on_new_rows_at_most_every_interval(tmp_path: Path, monkeypatch):
    """Ticks under HEALTH_NOW: first tick launches, then only new rows after the minimum
    interval do; a writer on the file or a run in the pool skips the tick without
    consuming the new rows."""
    from orchestration import intraday
    from orchestration.resources import HealthWarehouse

    path = tmp_path / "raw.duckdb"
    start = dt.datetime(2026, 11, 1, 9, 0)
    raw_world(path, start - dt.timedelta(hours=1))
    monkeypatch.setattr(intraday, "raw_relations", lambda manifest=None: dict(RAW_TABLES))
    with pipeline_env(path, tmp_path, now=start, HEALTH_INTRADAY_MIN_INTERVAL_MINUTES="15"):
        defs = defs_now()
        sensor = defs.resolve_sensor_def("health_intraday_sensor")
        repository = defs.get_repository_def()
        resources = {"warehouse": HealthWarehouse(duckdb_path=str(path), serving_dir=".", seeds_dir=".")}
        instance = DagsterInstance.get()

        def tick(now: dt.datetime, cursor: str | None):
            # pipeline_env restores HEALTH_NOW on leaving (monkeypatch would restore, at the
            # test's end, the value pipeline_env had set: a clock leaked to later tests).
            os.environ["HEALTH_NOW"] = now.isoformat()
            return sensor.evaluate_tick(
                build_sensor_context(
                    instance=instance, cursor=cursor, resources=resources, repository_def=repository
                )
            )

        # Raw rows, but no daily run has built the warehouse yet: nothing to run intraday on.
        unbuilt = tick(start, None)
        assert unbuilt.run_requests == [] and "holds no scores yet" in unbuilt.skip_message
        assert unbuilt.cursor is None, "the landing is not consumed"
        with duckdb.connect(str(path)) as connection:
            connection.execute("create schema marts")
            connection.execute("create table marts.fct_account_health_daily (account_id varchar)")
        # Scores an earlier version of the project built, with other columns: the run would
        # stop before dbt (orchestration/dbt/upgrade.py), so the tick does not launch it.
        earlier = tick(start, None)
        assert earlier.run_requests == [] and "an earlier version" in earlier.skip_message
        assert earlier.cursor is None, "the landing is not consumed"
        [scores] = [table for table in kept_tables() if table.relation == "marts.fct_account_health_daily"]
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                f"create or replace table {scores.relation} ({' varchar, '.join(scores.columns)} varchar)"
            )
        first = tick(start, None)
        [request] = first.run_requests
        assert request.partition_key == "2026-11-01" and request.tags["health/trigger"] == "intraday"
        assert tick(start + dt.timedelta(minutes=1), first.cursor).skip_message.startswith("no rows landed")

        land_row(path, "product.tracks", start + dt.timedelta(minutes=2))
        early = tick(start + dt.timedelta(minutes=5), first.cursor)
        assert early.run_requests == [] and "allowed at 2026-11-01 09:15" in early.skip_message
        assert early.cursor == first.cursor, "the new rows are not consumed"

        writer = subprocess.Popen(
            [sys.executable, "-c", f"import duckdb,sys\nc=duckdb.connect({str(path)!r})\nprint('ok',flush=True)\n"
             "sys.stdin.readline()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ok"
            locked = tick(start + dt.timedelta(minutes=16), first.cursor)
        finally:
            writer.communicate("done\n", timeout=30)
        assert locked.run_requests == [] and "locked" in locked.skip_message

        instance.event_log_storage.set_concurrency_slots("duckdb_warehouse", 1)
        claim = instance.event_log_storage.claim_concurrency_slot("duckdb_warehouse", "some-run", "step")
        assert claim.is_claimed
        try:
            busy = tick(start + dt.timedelta(minutes=16), first.cursor)
        finally:
            instance.event_log_storage.free_concurrency_slots_for_run("some-run")
        assert busy.run_requests == [] and "pool" in busy.skip_message

        second = tick(start + dt.timedelta(minutes=16), first.cursor)
        [request] = second.run_requests
        assert request.tags["health/landed_tables"] == "product.tracks"
        assert request.run_key != first.run_requests[0].run_key
        # Only what is built from the landed table is rebuilt, plus today's scores and alerts.
        selected = {key.to_user_string() for key in request.asset_selection}
        assert {"staging/base_product__tracks", "intermediate/int_product_events_linked"} <= selected
        assert "staging/base_crm__accounts" in {
            k.to_user_string() for k in first.run_requests[0].asset_selection
        }
        assert "staging/base_crm__accounts" not in selected
        assert {
            "intermediate/int_account_days",
            "marts/fct_account_health_daily",
            "marts/fct_health_alerts",
            "serving/health_marts",
            "alerting/health_alert_delivery",
        } <= selected
        assert not selected & {
            "marts/fct_health_backtest",
            "marts/dq_rejected_rows",
            "definitions/health_profiles",
        }
        checks = {key.to_user_string() for key in request.asset_check_keys}
        assert "marts/fct_account_health_daily:great_expectations" in checks, "the blocking mart checks"
        assert (
            "intermediate/int_product_activity_daily:"
            "primary_key_int_product_activity_daily_account_id__user_id__activity_date"
        ) in checks, "the windowed tests of the daily models the landing feeds"
        assert not any("base_product__tracks" in check for check in checks), "history scans: weekly"
        # After a failed intraday run, the next one rebuilds all the job holds.
        from dagster import DagsterRun

        instance.add_run(
            DagsterRun(
                job_name="health_intraday_job", run_id=str(uuid.uuid4()), status=DagsterRunStatus.FAILURE
            )
        )
        land_row(path, "product.tracks", start + dt.timedelta(minutes=40))
        after_failure = tick(start + dt.timedelta(minutes=41), second.cursor)
        [request] = after_failure.run_requests
        assert "staging/base_crm__accounts" in {key.to_user_string() for key in request.asset_selection}

        # The next day (a code location loaded on that day's clock): the next partition.
        land_row(path, "crm.account", start + dt.timedelta(days=1))
        os.environ["HEALTH_NOW"] = (start + dt.timedelta(days=1, minutes=1)).isoformat()
        defs = defs_now()
        sensor, repository = defs.resolve_sensor_def("health_intraday_sensor"), defs.get_repository_def()
        third = tick(start + dt.timedelta(days=1, minutes=1), after_failure.cursor)
        assert [r.partition_key for r in third.run_requests] == ["2026-11-02"]


def test_land_hour_appends_one_hour_of_an_average_day(tmp_path: Path):
    path = tmp_path / "raw.duckdb"
    generate(path, accounts=20, days=30, bad_rows_rate=0.0)
    hour = dt.datetime.combine(END_DATE + dt.timedelta(days=1), dt.time(9))
    week = query(
        path,
        'select count(*) from product.tracks where "timestamp" >= ? and "timestamp" < ?',
        [hour.replace(hour=0) - dt.timedelta(days=7), hour.replace(hour=0)],
    )[0][0]
    landed = land_hour(path, hour)
    assert week / 7 / 24 / 3 < landed < week / 7 / 24 * 3, (week, landed)
    rows = query(
        path,
        'select min("timestamp"), max("timestamp"), min(_loaded_at), max(_loaded_at), count(distinct id) '
        "from product.tracks where _loaded_at > ?",
        [hour],
    )[0]
    assert rows[0] >= hour and rows[1] < hour + dt.timedelta(hours=1)
    assert rows[2] == rows[3] == hour + dt.timedelta(hours=1, minutes=1)
    assert rows[4] == landed, "new message ids"
    copy = tmp_path / "copy.duckdb"
    generate(copy, accounts=20, days=30, bad_rows_rate=0.0)
    assert land_hour(copy, hour) == landed, "the same arguments land the same rows"
    with pytest.raises(ValueError):
        land_hour(path, hour, loaded_at=hour - dt.timedelta(minutes=5))
