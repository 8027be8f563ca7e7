"""Daily models keep their history: a run replaces exactly its window's days.

Windows built in pieces, again over an overlapping window, and as a full refresh give the
same rows day for day: tests/test_faults.py (c), on copies of the session warehouse.
"""

from __future__ import annotations

import duckdb
from conftest import BUILD_NOW, run_dbt


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
