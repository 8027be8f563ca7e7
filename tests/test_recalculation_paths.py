"""A recalculation chooses its path from what changed (orchestration/dbt/paths.py).

A scoring-only definition change reuses the stored indicator values (no model that reads
event history runs) and gives exactly the marts of a full recalculation, launched by the
definition-change sensor end to end; an indicator change, a new day or an unchanged
definition take the full path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from _pipeline import assert_success, pipeline_env, project_copy, run_pipeline
from conftest import BUILD_NOW, PROJECT_DIR
from dagster import DagsterInstance, build_sensor_context
from test_pipeline import build_defs, copy_world

from benchmarks.commands import changed_project, edit_seed
from customer_health import serving
from customer_health.definitions import definition_version
from customer_health.manifest import load_manifest, prepare
from orchestration.dbt.paths import PATH_TAG, RunPath, choose_path
from orchestration.jobs import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from orchestration.run import recalculation_job

DAYS = 4
# Models that read event history (or count users from it): a rescore runs none of them.
READ_EVENTS = {
    "int_indicator_values_daily",
    "int_product_activity_daily",
    "int_product_usage_daily",
    "base_product__tracks",
}
# Staging and a dimension that no scoring definition feeds: a rescore keeps their rows.
NOT_SCORING = {"base_crm__accounts", "stg_crm__accounts", "int_accounts_enriched", "dq_rejected_rows"}


def scores(path: Path) -> dict[tuple[str, dt.date], float | None]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select account_id, as_of_date, health_score from marts.fct_account_health_daily"
        )
        return {(account, day): score for account, day, score in rows.fetchall()}


def mart_hashes(path: Path, start: dt.date) -> dict[str, tuple]:
    """Content of every public mart: the window's days of daily marts, whole tables else."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        hashes = {}
        for table in tables:
            columns = {
                c
                for (c,) in connection.execute(f"select column_name from (describe marts.{table})").fetchall()
            }
            where = (
                f"where as_of_date >= '{start}'"
                if "as_of_date" in columns and table.startswith("fct_")
                else ""
            )
            hashes[table] = connection.execute(
                f"select count(*), md5(coalesce(string_agg(cast(t as varchar), '|' order by cast(t as varchar)), '')) "
                f"from (select * from marts.{table} {where}) as t"
            ).fetchone()
    return hashes


def run_window(built_warehouse, tmp_path: Path, project: Path, **env: str) -> tuple[Path, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    warehouse = copy_world(built_warehouse, tmp_path)
    start = built_warehouse.end_date - dt.timedelta(days=DAYS - 1)
    with pipeline_env(
        warehouse,
        tmp_path,
        now=BUILD_NOW,
        **project_copy(project),
        **env,
    ):
        prepare()
        job, _ = recalculation_job(start, built_warehouse.end_date)
        result = run_pipeline(job, start, built_warehouse.end_date)
        assert_success(result)
        path = DagsterInstance.get().get_run_by_id(result.run_id).tags[PATH_TAG]
        materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
        assert (materialized & READ_EVENTS == set()) == (path == RunPath.RESCORE), materialized & READ_EVENTS
    return warehouse, path


def test_a_scoring_only_change_is_rescored_end_to_end_and_equals_a_full_recalculation(
    built_warehouse, tmp_path
):
    """Seed change -> the definition-change sensor requests the rescore job -> its request is
    run: no model that reads event history runs, every day of the window carries the new
    version and changed scores, the publication says so -> the next tick skips. The same
    window recalculated in full from the same change gives the same marts."""
    # The benchmark's scoring change (a pillar weight raised by 5), so that its rescore phase
    # measures the path shown here.
    original = definition_version(PROJECT_DIR / "seeds" / "definitions")
    project = changed_project(tmp_path / "project", 1)
    seeds = project / "seeds" / "definitions"
    changed = definition_version(seeds)
    assert changed != original
    end = built_warehouse.end_date
    start = end - dt.timedelta(days=DAYS - 1)
    world = tmp_path / "rescore"
    world.mkdir()
    rescored = copy_world(built_warehouse, world)
    scores_before = scores(rescored)
    with pipeline_env(
        rescored,
        world,
        now=BUILD_NOW,
        **project_copy(project),
        HEALTH_RECALCULATION_DAYS=str(DAYS),
    ):
        prepare()
        defs = build_defs()
        instance = DagsterInstance.get()
        sensor = defs.resolve_sensor_def("health_definition_change_sensor")
        first = sensor.evaluate_tick(build_sensor_context(instance=instance, resources=defs.resources))
        [request] = first.run_requests
        assert (
            request.tags[ASSET_PARTITION_RANGE_START_TAG],
            request.tags[ASSET_PARTITION_RANGE_END_TAG],
        ) == (
            start.isoformat(),
            end.isoformat(),
        )
        assert request.tags["health/definition_version"] == changed
        assert request.tags["health/previous_definition_version"] == original
        assert request.job_name == "health_rescore_job", "a scoring-only change is rescored"
        result = defs.resolve_job_def(request.job_name).execute_in_process(
            instance=instance, tags=request.tags
        )
        assert_success(result)
        assert instance.get_run_by_id(result.run_id).tags[PATH_TAG] == RunPath.RESCORE
        materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
        assert not materialized & READ_EVENTS, materialized & READ_EVENTS
        assert not materialized & NOT_SCORING, materialized & NOT_SCORING
        assert "int_product_health_scores" in materialized and "health_marts" in materialized
        steps = [event.step_key for event in result.all_events if event.is_step_start]
        assert [step for step in steps if step.startswith("health_dbt") and "mart_checks" not in step] == [
            "health_dbt"
        ], f"one dbt invocation (decision 0015): {steps}"
        again = sensor.evaluate_tick(
            build_sensor_context(instance=instance, cursor=first.cursor, resources=defs.resources)
        )
        assert again.run_requests == [] and "stamped on all" in (again.skip_message or "")

    with duckdb.connect(str(rescored), read_only=True) as connection:
        versions = dict(
            connection.execute(
                "select as_of_date, min(definition_version) from marts.fct_account_health_daily "
                "group by 1 having count(distinct definition_version) = 1"
            ).fetchall()
        )
    assert {day for day, version in versions.items() if version == changed} == {
        start + dt.timedelta(days=offset) for offset in range(DAYS)
    }
    assert all(versions[day] == original for day in versions if day < start), "days before stay as they were"
    after = scores(rescored)
    moved = [
        key
        for key, score in after.items()
        if key[1] >= start and score is not None and abs(score - scores_before[key]) > 1e-9
    ]
    assert moved, "the new weight changed scores in the window"
    assert serving.publication_info(world / "serving")["definition_version"] == changed

    full, full_path = run_window(
        built_warehouse, tmp_path / "full", project, HEALTH_RECALCULATION_PATH="full"
    )
    assert full_path == RunPath.FULL
    assert mart_hashes(rescored, start) == mart_hashes(full, start)


def test_an_indicator_change_a_new_day_or_no_change_take_the_full_path(built_warehouse, tmp_path):
    manifest = load_manifest(prepare())
    seeds = tmp_path / "seeds"
    import shutil

    shutil.copytree(Path(__file__).resolve().parent.parent / "seeds" / "definitions", seeds)
    end = built_warehouse.end_date
    start = end - dt.timedelta(days=DAYS - 1)
    unchanged = choose_path(built_warehouse.path, start, end, seeds, manifest)
    assert unchanged.path is RunPath.FULL and "did not change" in unchanged.reason
    edit_seed(seeds, "health_pillar_weights", "weight", lambda w: str(float(w) + 5))
    assert choose_path(built_warehouse.path, start, end, seeds, manifest).path is RunPath.RESCORE
    new_day = end + dt.timedelta(days=1)
    assert choose_path(built_warehouse.path, new_day, new_day, seeds, manifest).path is RunPath.FULL
    edit_seed(
        seeds, "product_features", "is_key_feature", lambda v: "false" if v.lower() == "true" else "true"
    )
    changed = choose_path(built_warehouse.path, start, end, seeds, manifest)
    assert changed.path is RunPath.FULL and "lack values of indicator version" in changed.reason
