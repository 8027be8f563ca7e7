"""The generic data tests `primary_key` and `column_values` (macros/tests/generic_tests.sql)
can fail, and a subscription item without a product is set aside before the product grain.

One test says a model's key is unique and never null (docs/decisions/0016), on a column or
on a composite grain. The session build ran (and passed) it on every model. On a copy of
that build, a duplicated key and a key with a null part are planted in a model with a
column key and in one with a composite key: each test then fails with exactly those two
keys (the rows of the build add no failure of their own).
"""

from __future__ import annotations

import json

import duckdb
from conftest import run_dbt, window_vars

# model -> its key columns (a column key, a composite grain)
PLANTED = {
    "int_account_hierarchy": ["account_id"],
    "int_account_hierarchy_closure": ["ancestor_account_id", "descendant_account_id"],
}


def primary_key_results(duckdb_path, work_dir) -> dict[str, tuple[str, int]]:
    """model -> (status, failures) of its primary_key test, from `dbt test`'s run_results."""
    selection = [f"test_name:primary_key,{model}" for model in PLANTED]
    run_dbt(["test", "--select", *selection], duckdb_path, work_dir, check=False)
    target = work_dir / "target"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    return {
        nodes[result["unique_id"]]["attached_node"].split(".")[-1]: (result["status"], result["failures"])
        for result in json.loads((target / "run_results.json").read_text())["results"]
        if result["unique_id"].startswith("test.")  # not the project's on-run-end hook
    }


def test_primary_key_fails_on_a_duplicated_key_and_on_a_null_key_part(built_warehouse, tmp_path):
    path = built_warehouse.copy_to(tmp_path)
    con = duckdb.connect(str(path))
    try:
        for model, keys in PLANTED.items():
            table = f"intermediate.{model}"
            con.execute(f"insert into {table} select * from {table} limit 1")  # a duplicate
            con.execute(f"insert into {table} select * replace (null as {keys[0]}) from {table} limit 1")
    finally:
        con.close()

    assert primary_key_results(path, tmp_path) == {model: ("fail", 2) for model in PLANTED}


def test_column_values_fails_with_each_column_rule_and_value(built_warehouse, tmp_path):
    """One test per model holds its column rules (docs/decisions/0023). Planted on the last
    day of a copy of the session build: a lifecycle stage no definition has, a score above 100,
    and the score change parts of an account-day without points. Each test fails with one row per
    column, rule and failing value, with its number of rows; the rows of the build add none."""
    path = built_warehouse.copy_to(tmp_path)
    day = built_warehouse.end_date
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "update marts.fct_account_health_daily set lifecycle_stage = 'retired', health_score = 140 "
            "where as_of_date = ? and account_id = (select min(account_id) from marts.fct_account_health_daily "
            "where as_of_date = ?)",
            [day, day],
        )
        (parts,) = con.execute(
            "update intermediate.int_health_score_change_parts set points = null "
            "where as_of_date = ? and account_id = (select min(account_id) "
            "from intermediate.int_health_score_change_parts where as_of_date = ?)",
            [day, day],
        ).fetchone()  # the parts of one account-day
    finally:
        con.close()
    assert parts > 0
    models = ("fct_account_health_daily", "int_health_score_change_parts")
    selection = [f"test_name:column_values,{model}" for model in models]
    run_dbt(["test", "--select", *selection, "--vars", window_vars(day, day), "--store-failures"],
            path, tmp_path, check=False)  # fmt: skip
    target = tmp_path / "target"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    results = {
        nodes[r["unique_id"]]["attached_node"].split(".")[-1]: (r["status"], r["failures"], r["unique_id"])
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("test.")
    }
    assert {model: result[:2] for model, result in results.items()} == {
        "fct_account_health_daily": ("fail", 2),
        "int_health_score_change_parts": ("fail", 1),
    }
    with duckdb.connect(str(path), read_only=True) as con:
        failed = {
            model: sorted(con.execute(
                f"select column_name, rule, failing_value, row_count from {nodes[results[model][2]]['relation_name']}"
            ).fetchall())
            for model in models
        }  # fmt: skip
    assert failed == {
        "fct_account_health_daily": [
            ("health_score", "between", "140.0", 1),
            ("lifecycle_stage", "accepted_values", "retired", 1),
        ],
        "int_health_score_change_parts": [("points", "not_null", None, parts)],
    }


def test_a_subscription_item_without_a_product_is_set_aside(built_warehouse, tmp_path):
    """A subscription item re-delivered without its product_id (not nullable in the raw
    contract) is set aside as `missing_product_id`: no module without a product reaches the
    product health grain, whose primary_key test would otherwise fail the build."""
    path = built_warehouse.copy_to(tmp_path)
    day = built_warehouse.end_date
    con = duckdb.connect(str(path))
    try:
        (item,) = con.execute(
            "select subscription_item_id from intermediate.int_subscription_items_enriched "
            "where active_from_date <= ? and ? < active_to_date order by 1 limit 1",
            [day, day],
        ).fetchone()
        con.execute(
            "insert into billing.subscription_item select * replace "
            "(null as product_id, _loaded_at + interval 1 second as _loaded_at) "
            "from billing.subscription_item where cast(id as varchar) = ? order by _loaded_at desc limit 1",
            [item],
        )
    finally:
        con.close()

    run_dbt(
        ["build", "--select", "base_billing__subscription_items+", "--exclude", "tag:weekly",
         "tag:history_scan", "--exclude-resource-type", "unit_test", "--vars", window_vars(day, day)],
        path, tmp_path,
    )  # fmt: skip
    with duckdb.connect(str(path), read_only=True) as con:
        reasons = con.execute(
            "select reason from marts.dq_rejected_rows "
            "where source_name = 'billing' and table_name = 'subscription_item' and record_id = ?",
            [item],
        ).fetchall()
        modules_without_product = con.execute(
            "select count(*) from intermediate.int_licensed_modules_daily where product_id is null"
        ).fetchone()
    assert reasons == [("missing_product_id",)]
    assert modules_without_product == (0,)
