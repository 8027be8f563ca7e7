"""The nightly run reads the compared day as it is stored (orchestration/dbt/paths.py,
choose_scoring_span; docs/decisions/0012).

A one-day daily run whose compared day (30 days back) is a final stored day passes
recompute_scoring_span false: it rewrites its day and the compared day, not the days
between, and every daily model's rows of its day are those of the run over the whole span
that built the warehouse; so are the other marts, built from their history. A compared day that is missing, partial or of another indicator
version, a window of several days, or HEALTH_DAILY_SCORING_SPAN=full recompute the span.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
from _pipeline import assert_success, pipeline_env, run_pipeline, run_vars_logged
from conftest import BUILD_NOW, DAILY_JOB, PROJECT_DIR
from dagster import DagsterInstance
from test_pipeline import copy_world

from benchmarks.commands import edit_seed
from customer_health.manifest import load_manifest, prepare
from orchestration.dbt.paths import choose_scoring_span, stored_measure_models


def daily_models(manifest: dict) -> dict[str, str]:
    """schema.table -> its day column (event_time) of every model tagged `daily`."""
    return {
        f"{node['schema']}.{node['alias']}": node["config"]["event_time"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "daily" in node["tags"]
    }


def public_marts(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    return sorted(row[0] for row in rows)


def rows_of_day(path: Path, table: str, column: str | None, day: dt.date | None = None) -> list[tuple]:
    """The table's rows of `day` (every row without a column), without the run's timestamp
    (computed_at), sorted, doubles to 9 decimals."""
    with duckdb.connect(str(path), read_only=True) as connection:
        names = [row[0] for row in connection.execute(f"describe {table}").fetchall()]
        kept = ", ".join(f'"{name}"' for name in names if name != "computed_at")
        where, parameters = (f"where {column} = ?", [day]) if column else ("", [])
        rows = connection.execute(f"select {kept} from {table} {where}", parameters).fetchall()
    # Sums of doubles differ in their last bits with the order DuckDB's threads add them in.
    return sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows), key=repr)


def test_the_nightly_run_reads_the_compared_day_and_writes_what_a_span_run_writes(built_warehouse, tmp_path):
    manifest = load_manifest(prepare())
    day = built_warehouse.end_date
    between = day - dt.timedelta(days=15)
    models = daily_models(manifest)
    assert "intermediate.int_usage_metrics_daily" in models and "marts.fct_account_health_daily" in models
    before = {
        table: rows_of_day(built_warehouse.path, table, column, day) for table, column in models.items()
    }
    assert all(before.values()), [table for table, rows in before.items() if not rows]
    # The other marts are rebuilt from the daily tables' history: they come out the same too.
    marts = [table for table in public_marts(built_warehouse.path) if table not in models]
    assert "marts.fct_health_alerts" in marts and "marts.dim_account" in marts
    before.update({table: rows_of_day(built_warehouse.path, table, None) for table in marts})
    path = copy_world(built_warehouse, tmp_path)
    # A day between, tampered in a scoring model and in the account days they read.
    tampered = {
        "intermediate.int_account_health_scores": "health_band",
        "intermediate.int_account_days": "lifecycle_stage",
    }
    with duckdb.connect(str(path)) as connection:
        for table, column in tampered.items():
            connection.execute(f"update {table} set {column} = 'tampered' where as_of_date = ?", [between])
    with pipeline_env(path, tmp_path, now=BUILD_NOW):
        result = run_pipeline(DAILY_JOB, day, day)
        assert_success(result)
        [values] = run_vars_logged(DagsterInstance.get(), result.run_id)
    assert values["recompute_scoring_span"] is False
    for table, column in models.items():
        assert rows_of_day(path, table, column, day) == before[table], table
    for table in marts:
        assert rows_of_day(path, table, None) == before[table], table
    with duckdb.connect(str(path), read_only=True) as connection:
        for table, column in tampered.items():
            rows, untouched = connection.execute(
                f"select count(*), count(*) filter (where {column} = 'tampered') from {table} "
                "where as_of_date = ?",
                [between],
            ).fetchone()
            assert rows > 0 and untouched == rows, f"{table}: the days between are not recomputed"


def test_a_compared_day_that_is_not_stored_as_final_recomputes_the_span(
    built_warehouse, tmp_path, monkeypatch
):
    manifest = load_manifest(prepare())
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds" / "definitions", seeds)
    day = built_warehouse.end_date
    compared = day - dt.timedelta(days=30)
    path = built_warehouse.copy_to(tmp_path)

    def choice(start: dt.date = day, end: dt.date = day):
        return choose_scoring_span(path, start, end, seeds, manifest)

    assert choice().recompute is False and str(compared) in choice().reason
    assert choice(day - dt.timedelta(days=1)).recompute, "a window of two days"
    assert choice(built_warehouse.start_date + dt.timedelta(days=10)).recompute, "before the built window"
    assert choose_scoring_span(tmp_path / "none.duckdb", day, day, seeds, manifest).recompute, "no warehouse"
    monkeypatch.setenv("HEALTH_DAILY_SCORING_SPAN", "full")
    assert choice().recompute and "HEALTH_DAILY_SCORING_SPAN" in choice().reason
    monkeypatch.delenv("HEALTH_DAILY_SCORING_SPAN")

    measures = stored_measure_models(manifest)
    assert (
        "intermediate.int_product_usage_daily" in measures
        and "intermediate.int_licensed_modules_daily" in measures
    )
    for table in measures:
        (tmp_path / table).mkdir()
        copy = built_warehouse.copy_to(tmp_path / table)
        with duckdb.connect(str(copy)) as connection:
            connection.execute(f"delete from {table} where as_of_date = ?", [compared])
        missing = choose_scoring_span(copy, day, day, seeds, manifest)
        assert missing.recompute and table in missing.reason, missing

    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "update marts.fct_account_health_daily set is_partial_day = true where as_of_date = ? "
            "and account_id = (select min(account_id) from marts.fct_account_health_daily)",
            [compared],
        )
    partial = choice()
    assert partial.recompute and "not a final day" in partial.reason
    with duckdb.connect(str(path)) as connection:
        connection.execute("update marts.fct_account_health_daily set is_partial_day = false")
    assert choice().recompute is False
    edit_seed(
        seeds, "product_features", "is_key_feature", lambda v: "false" if v.lower() == "true" else "true"
    )
    changed = choice()
    assert changed.recompute and "another indicator version" in changed.reason
