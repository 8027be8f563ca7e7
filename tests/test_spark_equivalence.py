"""The same project on Spark: the public marts of a Spark build equal DuckDB's.

Runs the whole check of `make spark-check` (generate, load into local Spark, dbt build on
both engines, compare) on a small dataset. Needs pyspark and dbt-spark, which the main
install leaves out (requirements-spark.txt): without them the test is skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.spark.env import PYSPARK_MISSING, pyspark_available

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_the_comparison_matches_every_daily_mart_on_its_grain() -> None:
    """Every data test carries the run-window `where`: it still declares the grain (a
    comparison as multisets reports every row as differing when one column does)."""
    from customer_health.manifest import prepare
    from tools.spark.equivalence import mart_keys

    keys = mart_keys(prepare())
    assert keys["fct_account_health_daily"] == ["account_id", "as_of_date"]
    assert keys["fct_indicator_scores_daily"] == ["account_id", "as_of_date", "indicator_id"]
    assert all(keys[mart] for mart in keys if mart.startswith("fct_") and mart.endswith("_daily"))


@pytest.mark.skipif(not pyspark_available(), reason=PYSPARK_MISSING)
def test_spark_marts_equal_duckdb_marts(tmp_path: Path) -> None:
    results = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.spark.equivalence",
            "--work-dir",
            str(tmp_path / "work"),
            "--accounts",
            "60",
            "--days",
            "240",
            "--results-dir",
            str(results),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-3000:]
    report = json.loads((results / "spark_equivalence.json").read_text())
    assert report["equal"]
    marts = {m["mart"]: m for m in report["marts"]}
    for mart in [
        "dim_account",
        "fct_account_health_daily",
        "fct_indicator_scores_daily",
        "fct_hierarchy_health_daily",
        "fct_segment_health_daily",
        "fct_health_alerts",
        "dq_rejected_rows",
        "dq_hierarchy_issues",
        "fct_customer_outcomes",
    ]:
        assert mart in marts, f"{mart} not compared"
        assert marts[mart]["rows_duckdb"] == marts[mart]["rows_spark"] > 0 or mart == "fct_health_alerts"
    assert report["max_score_diff"] <= 1e-6
