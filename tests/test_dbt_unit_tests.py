"""dbt's unit tests: every one of them, once, as CI runs them.

Production runs leave unit tests out (they check the SQL, not the data: dbt recommends
running them in development and CI only; orchestration/dbt/assets.py). Here they run the
way dbt documents: the models built `--empty` (the unit tests need their parents' columns),
then `dbt test --select test_type:unit`. Every unit test of the manifest must have run and
passed, so a new one cannot be silently skipped. They run with a pipeline's run window in
the environment (HEALTH_DBT_RUN_VARS): a unit test's fixture sets its own window vars,
which the environment must not override (macros/run_vars.sql).
"""

from __future__ import annotations

import json

from conftest import generate, run_dbt

from customer_health.manifest import load_manifest, prepare


def test_every_dbt_unit_test_runs_and_passes(tmp_path):
    warehouse = tmp_path / "health.duckdb"
    generate(warehouse, accounts=12, days=45, bad_rows_rate=0.05)
    run_dbt(["build", "--empty", "--exclude-resource-type", "test", "unit_test"], warehouse, tmp_path)
    run_window = {"health_start_date": "2026-10-01", "health_end_date": "2026-10-02"}
    completed = run_dbt(
        ["test", "--select", "test_type:unit"],
        warehouse,
        tmp_path,
        check=False,
        HEALTH_DBT_RUN_VARS=json.dumps(run_window),
    )

    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    declared = set(load_manifest(prepare()).get("unit_tests", {}))
    failed = {uid: status for uid, status in ran.items() if status != "pass"}
    assert completed.returncode == 0 and not failed, f"{failed}\n{completed.stdout[-4000:]}"
    assert declared and set(ran) == declared, f"not run: {sorted(declared - set(ran))}"
