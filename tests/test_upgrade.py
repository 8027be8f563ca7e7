"""A warehouse an earlier version of the project built (orchestration/dbt/upgrade.py).

An upgrade can add a column to an incremental model, stop building one, or change a seed's
columns. dbt keeps the old tables (on_schema_change='fail'): the runs must say so before
dbt starts, and one recalculation of the scored days must rebuild them with every day they
held, as a first build would.
"""

from __future__ import annotations

import duckdb
from _pipeline import assert_success, pipeline_env, run_pipeline
from conftest import BUILD_NOW
from dagster import DagsterInstance
from test_faults import assert_same_marts, both_hashes
from test_pipeline import copy_world, dbt_commands

from customer_health.manifest import load_manifest, prepare
from customer_health.warehouse import read_only_connection, relation_columns
from orchestration.dbt.upgrade import PENDING, Drifts, drop_tables, schema_drift
from orchestration.jobs import DAILY_JOB_NAME, INTRADAY_JOB_NAME, RECALCULATION_JOB_NAME
from orchestration.run import failure_messages, recalculation_job

MART = "marts.fct_segment_health_daily"
MART_COLUMN = "arr_at_risk_change_30d"  # this version builds it; the earlier one did not
LOOK_BACK = "intermediate.int_product_activity_daily"  # holds 90 days before the scored ones
SEED = "definitions.health_pillars"


def test_every_table_holds_the_columns_the_project_documents(built_warehouse):
    """The upgrade check compares a table's columns with the documented ones: they are the
    columns every model, seed and snapshot builds, so a current warehouse shows no drift."""
    manifest = load_manifest(prepare())
    with read_only_connection(built_warehouse.path) as connection:
        present = relation_columns(connection)
    built = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["config"]["materialized"] != "ephemeral"
    ]
    absent = [node["name"] for node in built if f"{node['schema']}.{node['alias']}".lower() not in present]
    assert not absent, f"not built by the session's daily and weekly runs: {absent}"
    differing = {
        node["name"]: sorted(present[f"{node['schema']}.{node['alias']}".lower()] ^ set(node["columns"]))
        for node in built
        if present[f"{node['schema']}.{node['alias']}".lower()] != {c.lower() for c in node["columns"]}
    }
    assert not differing, f"undocumented or documented but not built: {differing}"
    assert len(built) > 100
    scored = (built_warehouse.start_date, built_warehouse.end_date)
    assert schema_drift(built_warehouse.path, manifest) == Drifts((), scored)


def run_messages(result) -> str:
    assert not result.success
    return "\n".join(failure_messages(result))


def test_an_earlier_versions_tables_fail_the_runs_until_one_recalculation_rebuilds_them(
    built_warehouse, tmp_path
):
    manifest = load_manifest(prepare())
    warehouse = copy_world(built_warehouse, tmp_path)
    start, end = built_warehouse.start_date, built_warehouse.end_date
    # As an earlier version left it: the mart lacks a column, the intermediate model has one
    # this version no longer builds, and so has a seed.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"alter table {MART} drop column {MART_COLUMN}")
        connection.execute(f"alter table {LOOK_BACK} add column legacy_flag boolean")
        connection.execute(f"alter table {SEED} add column legacy_weight integer")
        look_back_days = connection.execute(
            f"select min(activity_date), max(activity_date) from {LOOK_BACK}"
        ).fetchone()
    assert look_back_days[0] < start, "the model holds days before the scored ones"
    mart_drift = f"{MART} (new column(s) {MART_COLUMN})"
    look_back_drift = f"{LOOK_BACK} (column(s) legacy_flag no longer built)"
    command = f"make recalculate START={start} END={end}"

    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW):
        instance = DagsterInstance.get()
        # The nightly run stops before dbt starts, and says what mends it.
        daily = run_pipeline(DAILY_JOB_NAME, end, end)
        message = run_messages(daily)
        assert mart_drift in message and look_back_drift in message and command in message, message
        assert SEED not in message, "a seed mends itself in every run that loads seeds"
        assert dbt_commands(instance, daily.run_id) == []
        # The recalculation takes the full path; over a window short of the scored days it
        # refuses, and drops nothing.
        job, reason = recalculation_job(end, end)
        assert job == RECALCULATION_JOB_NAME and mart_drift in reason, reason
        short = run_pipeline(job, end, end)
        message = run_messages(short)
        assert "does not cover" in message and command in message, message
        assert dbt_commands(instance, short.run_id) == []
        drifts = schema_drift(warehouse, manifest)
        assert len(drifts.tables) == 3
        # A rebuild that dropped the tables and did not finish (killed before dbt built them):
        # the next daily run must not create them with its own day only.
        drop_tables(warehouse, drifts.models())
        interrupted = run_pipeline(DAILY_JOB_NAME, end, end)
        message = run_messages(interrupted)
        assert f"{MART} (dropped by a rebuild that did not finish)" in message and command in message, message
        assert dbt_commands(instance, interrupted.run_id) == []
        # Over the scored days the recalculation rebuilds them.
        rebuild = run_pipeline(job, start, end)
        assert_success(rebuild)
        warnings = [entry.user_message for entry in instance.all_logs(rebuild.run_id)]
        assert any(
            line.startswith("rebuilt over the window") and MART in line and LOOK_BACK in line
            for line in warnings
        )

    assert schema_drift(warehouse, manifest) == Drifts((), (start, end)), "the seed reloaded too"
    with read_only_connection(warehouse) as connection:
        assert PENDING not in relation_columns(connection), "the finished rebuild is no longer pending"
    assert_same_marts(warehouse, both_hashes(built_warehouse.path), what="rebuilt")
    rows = f"select * from {LOOK_BACK} order by all"
    with (
        duckdb.connect(str(warehouse), read_only=True) as rebuilt,
        duckdb.connect(str(built_warehouse.path), read_only=True) as before,
    ):
        assert rebuilt.execute(rows).fetchall() == before.execute(rows).fetchall(), (
            "every look-back day again"
        )

    # A seed with other columns stops an intraday run, which loads no seeds. A daily model
    # without a table (new in a version) does not stop it: a warning names what fills it.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"alter table {SEED} add column legacy_weight integer")
        connection.execute(f"drop table {MART}")
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW):
        today = BUILD_NOW.date()
        intraday = run_pipeline(INTRADAY_JOB_NAME, today, today)
        message = run_messages(intraday)
        assert f"{SEED} (column(s) legacy_weight no longer built)" in message and DAILY_JOB_NAME in message
        instance = DagsterInstance.get()
        assert dbt_commands(instance, intraday.run_id) == []
        assert any(
            entry.user_message.startswith("daily model(s) without a table: ")
            and MART in entry.user_message
            and command in entry.user_message
            for entry in instance.all_logs(intraday.run_id)
        )
