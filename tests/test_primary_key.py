"""The generic data test `primary_key` (macros/tests/generic_tests.sql) can fail.

One test says a model's key is unique and never null (docs/decisions/0016), on a column or
on a composite grain. The session build ran (and passed) it on every model. On a copy of
that build, a duplicated key and a key with a null part are planted in a model with a
column key and in one with a composite key: each test then fails with exactly those two
keys (the rows of the build add no failure of their own).
"""

from __future__ import annotations

import json

import duckdb
from conftest import run_dbt

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
