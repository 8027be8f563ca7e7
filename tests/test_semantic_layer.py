"""The MetricFlow semantic layer (models/semantic) against the marts it reads.

On a copy of the shared built warehouse and a copy of the project (MetricFlow reads
`<project>/target/semantic_manifest.json`, so each run needs its own project dir), the
time spine and dim_account are built, then the real `mf` CLI runs with the same
profiles dir, target and DuckDB file:

- `mf validate-configs` passes (semantic and data-warehouse validations);
- daily metrics (accounts, ARR, ARR at risk, average and ARR-weighted score, share of
  ARR in good health) equal the same figures computed in SQL on fct_account_health_daily
  and the `all` segment of fct_segment_health_daily;
- accounts by band (the filtered metrics) equal counts by band in SQL;
- at month grain the snapshot metrics take the month's last scored day, and slicing by
  the account's tier (dim_account) equals a SQL join.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse, copy_project, run_dbt_in, window_vars

RELATIVE = 1e-9
DAILY_METRICS = [
    "accounts",
    "arr",
    "arr_at_risk",
    "average_health_score",
    "arr_weighted_health_score",
    "good_arr_share",
]
BAND_METRICS = {
    "accounts_good": "good",
    "accounts_average": "average",
    "accounts_poor": "poor",
    "accounts_insufficient_data": "insufficient_data",
}


@dataclass(frozen=True)
class SemanticProject:
    project: Path
    duckdb_path: Path
    warehouse: Warehouse

    def mf(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env.update(
            {
                "DBT_PROFILES_DIR": str(self.project),
                "DBT_PROJECT_DIR": str(self.project),
                "HEALTH_DUCKDB_PATH": str(self.duckdb_path),
                "HEALTH_DBT_TARGET": "dev",
            }
        )
        mf_bin = Path(sys.executable).with_name("mf")
        return subprocess.run(
            [str(mf_bin) if mf_bin.exists() else "mf", *args],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    def query(self, out: Path, metrics: list[str], group_by: list[str], *extra: str) -> list[dict[str, str]]:
        result = self.mf(
            "query",
            "--metrics",
            ",".join(metrics),
            "--group-by",
            ",".join(group_by),
            "--csv",
            str(out),
            "--quiet",
            *extra,
        )
        assert result.returncode == 0, f"mf query failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))

    def sql(self, query: str, params: list[object] | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def semantic(
    built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SemanticProject]:
    work = tmp_path_factory.mktemp("semantic_layer")
    duckdb_path = built_warehouse.copy_to(work)
    project = copy_project(work)
    variables = window_vars(built_warehouse.start_date, built_warehouse.end_date)
    # Builds the time spine and dim_account, and writes target/semantic_manifest.json.
    run_dbt_in(
        project, ["run", "-s", "metricflow_time_spine", "dim_account", "--vars", variables], duckdb_path
    )
    assert (project / "target" / "semantic_manifest.json").exists()
    yield SemanticProject(project, duckdb_path, built_warehouse)


def close(actual: object, expected: object) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return actual in (None, "")
    if actual in (None, ""):
        return False
    return math.isclose(float(actual), float(expected), rel_tol=RELATIVE, abs_tol=1e-6)


def day_key(value: str) -> str:
    return value[:10]


def test_validate_configs_passes(semantic: SemanticProject):
    result = semantic.mf("validate-configs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Successfully validated the semantics" in output
    assert "Successfully validated metrics against data warehouse" in output


def test_daily_metrics_equal_sql(semantic: SemanticProject, tmp_path: Path):
    rows = semantic.query(tmp_path / "daily.csv", DAILY_METRICS, ["metric_time__day"])
    by_day = {day_key(r["metric_time__day"]): r for r in rows}
    expected = semantic.sql(
        """
        select
            strftime(as_of_date, '%Y-%m-%d'),
            count(*),
            sum(arr),
            sum(case when effective_health_band = 'poor' then arr else 0 end),
            avg(effective_health_score),
            sum(arr * effective_health_score) filter (where effective_health_score is not null)
                / sum(arr) filter (where effective_health_score is not null),
            sum(case when effective_health_band = 'good' then arr else 0 end) / sum(arr)
        from marts.fct_account_health_daily
        group by as_of_date
        order by as_of_date
        """
    )
    assert (
        len(expected) >= semantic.warehouse.end_date.toordinal() - semantic.warehouse.start_date.toordinal()
    )
    assert sorted(by_day) == [row[0] for row in expected]
    for day, *values in expected:
        got = by_day[day]
        for metric, value in zip(DAILY_METRICS, values, strict=True):
            assert close(got[metric], value), (day, metric, got[metric], value)

    # The same figures, pre-aggregated: the `all` segment of fct_segment_health_daily.
    segment = semantic.sql(
        """
        select strftime(as_of_date, '%Y-%m-%d'), account_count, arr, arr_at_risk, mean_health_score,
            arr_weighted_health_score, good_arr_share
        from marts.fct_segment_health_daily
        where segment_dimension = 'all'
        """
    )
    assert segment, "fct_segment_health_daily has no `all` segment"
    for day, *values in segment:
        got = by_day[day]
        for metric, value in zip(DAILY_METRICS, values, strict=True):
            assert math.isclose(float(got[metric]), float(value), rel_tol=1e-6), (day, metric)


def test_accounts_by_band_equal_sql(semantic: SemanticProject, tmp_path: Path):
    rows = semantic.query(tmp_path / "bands.csv", [*BAND_METRICS, "accounts"], ["metric_time__day"])
    counts = {
        (day, band): n
        for day, band, n in semantic.sql(
            "select strftime(as_of_date, '%Y-%m-%d'), effective_health_band, count(*) "
            "from marts.fct_account_health_daily group by all"
        )
    }
    assert rows
    for row in rows:
        day = day_key(row["metric_time__day"])
        total = 0
        for metric, band in BAND_METRICS.items():
            expected = counts.get((day, band))
            assert (int(float(row[metric])) if row[metric] else None) == expected, (day, metric)
            total += expected or 0
        assert int(float(row["accounts"])) == total

    # Grouped by the band dimension on the last day: the same counts.
    end = semantic.warehouse.end_date.isoformat()
    grouped = semantic.query(
        tmp_path / "by_band.csv",
        ["accounts"],
        ["metric_time__day", "account_health__health_band"],
        "--start-time",
        end,
        "--end-time",
        end,
    )
    assert {r["account_health__health_band"]: int(float(r["accounts"])) for r in grouped} == {
        band: n for (day, band), n in counts.items() if day == end
    }


def test_month_grain_takes_the_last_day_and_slices_by_tier(semantic: SemanticProject, tmp_path: Path):
    rows = semantic.query(
        tmp_path / "tier.csv",
        ["accounts", "arr_at_risk", "arr_weighted_health_score"],
        ["metric_time__month", "account__customer_tier"],
    )
    expected = semantic.sql(
        """
        with last_days as (
            select max(as_of_date) as as_of_date
            from marts.fct_account_health_daily
            group by date_trunc('month', as_of_date)
        )
        select
            strftime(date_trunc('month', health.as_of_date), '%Y-%m-%d'),
            coalesce(accounts.customer_tier, ''),
            count(*),
            sum(case when health.effective_health_band = 'poor' then health.arr else 0 end),
            sum(health.arr * health.effective_health_score) filter (where health.effective_health_score is not null)
                / sum(health.arr) filter (where health.effective_health_score is not null)
        from marts.fct_account_health_daily as health
        inner join last_days on health.as_of_date = last_days.as_of_date
        left join marts.dim_account as accounts on health.account_id = accounts.account_id
        group by all
        """
    )
    got = {(day_key(r["metric_time__month"]), r["account__customer_tier"] or ""): r for r in rows}
    assert sorted(got) == sorted((month, tier) for month, tier, *_ in expected)
    for month, tier, accounts, at_risk, weighted in expected:
        row = got[(month, tier)]
        assert int(float(row["accounts"])) == accounts, (month, tier)
        assert close(row["arr_at_risk"], at_risk), (month, tier)
        assert close(row["arr_weighted_health_score"], weighted), (month, tier)
