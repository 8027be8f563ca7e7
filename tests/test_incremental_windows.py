"""Daily marts are incremental over the window vars: a run replaces exactly its days.

Building a window in pieces, rebuilding an overlapping window, and a full refresh of the
whole window must give the same rows, day for day (content hashes of the marts).
"""

from __future__ import annotations

import datetime as dt

import duckdb
from conftest import BUILD_NOW, END_DATE, generate, run_dbt, window_vars

DAILY_MARTS = ["fct_account_health_daily", "fct_indicator_scores_daily"]
SELECT = [
    "--select",
    *(f"+{m}" for m in DAILY_MARTS),
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]


def content_hash(path, table: str) -> tuple[int, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            f"select count(*), md5(coalesce(string_agg(row_text, '\n' order by row_text), '')) "
            f"from (select cast(t as varchar) as row_text from marts.{table} as t)"
        ).fetchone()
    finally:
        con.close()


def build(path, work, start: dt.date, end: dt.date, *extra: str) -> None:
    run_dbt(["build", *SELECT, *extra, "--vars", window_vars(start, end)], path, work)


def test_pieces_overlaps_and_full_refresh_agree(tmp_path):
    first, last = END_DATE - dt.timedelta(days=9), END_DATE
    middle = first + dt.timedelta(days=4)

    full = tmp_path / "full" / "health.duckdb"
    full.parent.mkdir()
    generate(full)
    build(full, tmp_path / "w_full", first, last, "--full-refresh")

    pieces = tmp_path / "pieces" / "health.duckdb"
    pieces.parent.mkdir()
    generate(pieces)
    build(pieces, tmp_path / "w_pieces", first, middle)
    build(pieces, tmp_path / "w_pieces", middle + dt.timedelta(days=1), last)

    for table in DAILY_MARTS:
        rows, digest = content_hash(full, table)
        assert rows > 0
        assert content_hash(pieces, table) == (rows, digest), f"{table}: pieces differ from full refresh"

    # Rebuilding an overlapping window changes nothing, and leaves other days alone.
    build(pieces, tmp_path / "w_pieces", first + dt.timedelta(days=2), middle + dt.timedelta(days=2))
    for table in DAILY_MARTS:
        assert content_hash(pieces, table) == content_hash(full, table), f"{table}: rerun differs"

    con = duckdb.connect(str(pieces), read_only=True)
    days = con.execute(
        "select min(as_of_date), max(as_of_date), count(distinct as_of_date) "
        "from marts.fct_account_health_daily"
    ).fetchone()
    con.close()
    assert days == (first, last, 10)


def test_building_any_daily_model_alone_never_changes_a_table(built_warehouse, tmp_path):
    """Daily models keep their history: `dbt run -s <a daily model>` (the default window:
    yesterday by the clock) leaves every daily table's rows per day as they were."""
    from customer_health.manifest import load_manifest, models_with_tag, prepare

    daily = sorted(
        (node["config"]["schema"], node["name"])
        for node in models_with_tag("daily", load_manifest(prepare()))
        if node["config"]["materialized"] != "ephemeral"
    )
    assert len(daily) >= 10
    path = built_warehouse.copy_to(tmp_path)

    def counts() -> dict[str, dict]:
        with duckdb.connect(str(path), read_only=True) as con:
            return {
                f"{schema}.{name}": dict(
                    con.execute(
                        f"select {event_time(name)}, count(*) from {schema}.{name} group by 1"
                    ).fetchall()
                )
                for schema, name in daily
            }

    before = counts()
    assert all(before.values()), "every daily table holds rows"
    # Every one of them in one invocation (its fixed cost once, not once per model): each
    # model runs once, after its parents, and a parent that kept its rows feeds the child
    # what the stored table would. A table whose rows per day changed names its model.
    models = [name for schema, name in daily if schema != "marts"]  # marts: the pipeline tests
    run_dbt(["run", "-s", *models], path, tmp_path, HEALTH_NOW=BUILD_NOW.isoformat())
    after = counts()
    changed = [table for table in before if after[table] != before[table]]
    assert changed == [], f"dbt run -s <each daily model> changed {changed}"


def event_time(model: str) -> str:
    from customer_health.manifest import load_manifest

    return next(
        node["config"]["event_time"]
        for node in load_manifest()["nodes"].values()
        if node.get("name") == model and node["resource_type"] == "model"
    )
