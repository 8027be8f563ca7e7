"""Product-level health against an independent Python reference, on the shared test warehouse.

tests/reference/products.py recomputes, from the RAW tables and the definition seeds, each
licensed module's usage measures, its four product indicators, its score, coverage and band
(tests/reference/scoring.py: the contract's scoring semantics), and each module's roll-up
over the current CRM hierarchy (tests/reference/hierarchy.py: the contract's roll-up
semantics). Compared here with int_product_usage_daily, fct_product_health_daily and
fct_hierarchy_product_health_daily: the same keys, values within 1e-9, for every account x
module x day, and every node x module x day x roll-up method of the window.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from reference.products import (
    PRODUCT_INDICATORS,
    module_usage,
    product_health,
    product_rollup,
    usable_parents,
)
from reference.staging import load

SCORE_CHANGE_DAYS = 30
TOLERANCE = 1e-9
MEASURES = (
    "licensed_seats",
    "active_users_30d",
    "licensed_active_users_30d",
    "active_users_prior_30d",
    "key_features_used_30d",
    "account_active_users_30d",
)
ROLLUP_COLUMNS = (
    "member_count",
    "total_weight",
    "good_share",
    "average_share",
    "poor_share",
    "health_score",
    "worst_score",
    "health_band",
)


def close(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=TOLERANCE)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def warehouse(built_warehouse):
    con = duckdb.connect(str(built_warehouse.path), read_only=True)

    def frame(sql: str) -> pd.DataFrame:
        result = con.execute(sql).df()
        if "as_of_date" in result:
            result["as_of_date"] = pd.to_datetime(result["as_of_date"]).dt.date
        return result

    staged = load(con)
    result = {
        "staged": staged,
        "first_day": built_warehouse.start_date - dt.timedelta(days=SCORE_CHANGE_DAYS),
        "window": [
            built_warehouse.start_date + dt.timedelta(days=i)
            for i in range((built_warehouse.end_date - built_warehouse.start_date).days + 1)
        ],
        "last_day": built_warehouse.end_date,
        "usage": frame(
            f"select account_id, product_id, as_of_date, arr, {', '.join(MEASURES)} "
            "from intermediate.int_product_usage_daily"
        ),  # fmt: skip
        "health": frame(
            "select account_id, product_id, as_of_date, health_profile_id, health_score, health_band, coverage "
            "from marts.fct_product_health_daily"
        ),
        "indicators": frame(
            "select account_id, product_id, as_of_date, indicator_id, raw_value "
            "from marts.fct_product_indicator_scores_daily"
        ),
        "rollup": frame(
            f"select account_id, product_id, as_of_date, rollup_method, {', '.join(ROLLUP_COLUMNS)} "
            "from marts.fct_hierarchy_product_health_daily"
        ),
        "truth": frame("select * from _demo.product_truth"),
        "module_usage": frame("select * from intermediate.int_account_module_usage"),
    }
    con.close()
    return result


@pytest.fixture(scope="module")
def reference(warehouse) -> pd.DataFrame:
    return product_health(warehouse["staged"], warehouse["first_day"], warehouse["last_day"])


def test_module_usage_matches_the_reference(warehouse, reference):
    keys = ["account_id", "product_id", "as_of_date"]
    merged = reference[[*keys, "arr", *MEASURES]].merge(
        warehouse["usage"], on=keys, how="outer", suffixes=("_reference", "_sql"), indicator=True
    )
    one_sided = merged[merged["_merge"] != "both"]
    assert one_sided.empty, one_sided.head(10).to_string()
    assert len(merged) > 3000 and merged["product_id"].nunique() == 4
    for column in MEASURES:
        wrong = merged[merged[f"{column}_reference"].astype(float) != merged[f"{column}_sql"].astype(float)]
        assert wrong.empty, f"{column}: {len(wrong)} rows differ\n{wrong.head(10).to_string()}"
    arr = np.isclose(merged["arr_reference"], merged["arr_sql"], rtol=1e-9, atol=1e-6)
    assert arr.all(), merged[~arr].head(10).to_string()


def test_the_expansion_evidence_matches_the_reference_and_counts_users_as_product_health(warehouse):
    """int_account_module_usage (read from the daily pre-aggregates) against the Python
    reference from the raw tables, on the run's end day; its users of a licensed module are
    the product health measures of that day."""
    sql = warehouse["module_usage"]
    assert set(sql["as_of_date"]) == {warehouse["last_day"]}
    keys = ["account_id", "product_id"]
    expected = module_usage(warehouse["staged"], warehouse["last_day"])
    merged = expected.merge(sql, on=keys, how="outer", suffixes=("_reference", "_sql"), indicator=True)
    one_sided = merged[merged["_merge"] != "both"]
    assert one_sided.empty, one_sided.head(10).to_string()
    columns = [column for column in expected.columns if column not in keys]
    wrong = [
        (row.account_id, row.product_id, column)
        for row in merged.itertuples(index=False)
        for column in columns
        if not close(getattr(row, f"{column}_reference"), getattr(row, f"{column}_sql"))
    ]
    assert not wrong, f"{len(wrong)} differences, e.g. {wrong[:10]}"
    # The data holds both kinds of evidence: licensed modules, and modules used unlicensed.
    assert merged["is_licensed_sql"].any() and not merged["is_licensed_sql"].all()
    assert (merged["active_users_30d_sql"] > 0).any() and merged["features_touched_sql"].notna().any()

    usage = warehouse["usage"]
    last_day = usage[usage["as_of_date"] == warehouse["last_day"]]
    both = last_day.merge(sql[sql["is_licensed"]], on=keys, suffixes=("_health", "_evidence"))
    assert len(both) == len(last_day) > 0
    for column in ("licensed_seats", "active_users_30d", "licensed_active_users_30d"):
        assert (both[f"{column}_health"] == both[f"{column}_evidence"]).all(), column


def test_every_module_score_and_band_matches_the_reference(warehouse, reference):
    keys = ["account_id", "product_id", "as_of_date"]
    window = reference[reference["as_of_date"].isin(warehouse["window"])]
    merged = window[[*keys, "health_profile_id", "health_score", "health_band", "coverage"]].merge(
        warehouse["health"], on=keys, how="outer", suffixes=("_reference", "_sql"), indicator=True
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10).to_string()
    wrong = [
        (row.account_id, row.product_id, row.as_of_date, column)
        for row in merged.itertuples(index=False)
        for column in ("health_profile_id", "health_score", "health_band", "coverage")
        if not close(getattr(row, f"{column}_reference"), getattr(row, f"{column}_sql"))
    ]
    assert not wrong, f"{len(wrong)} differences, e.g. {wrong[:10]}"
    # The data exercises the bands (a module can be poor) and the missing-data rules.
    assert set(merged["health_band_sql"]) >= {"good", "average", "poor"}


def test_every_product_indicator_value_matches_the_reference(warehouse, reference):
    """The raw value of each of a module's indicators on each day of the window (the
    product indicator mart, one row per indicator of the module's profile) is the
    reference's value of that indicator (null: no data)."""
    keys = ["account_id", "product_id", "as_of_date"]
    window = reference[reference["as_of_date"].isin(warehouse["window"])]
    expected = window.melt(
        id_vars=keys, value_vars=list(PRODUCT_INDICATORS), var_name="indicator_id", value_name="raw_value"
    )
    sql = warehouse["indicators"]
    merged = sql.merge(
        expected, on=[*keys, "indicator_id"], how="left", suffixes=("_sql", "_reference"), indicator=True
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10).to_string()
    wrong = merged[
        [not close(a, b) for a, b in zip(merged["raw_value_reference"], merged["raw_value_sql"], strict=True)]
    ]
    assert wrong.empty, f"{len(wrong)} values differ\n{wrong.head(10).to_string()}"
    # Every indicator is scored, with and without data.
    assert set(sql["indicator_id"]) == set(PRODUCT_INDICATORS)
    assert sql["raw_value"].notna().any() and sql["raw_value"].isna().any()
    # Every module-day of the window has its indicators.
    assert len(sql[keys].drop_duplicates()) == len(window) > 3000


def test_rollup_matches_the_reference_for_every_node_product_day_and_method(warehouse, reference):
    expected = product_rollup(reference, usable_parents(warehouse["staged"]), warehouse["window"])
    actual = {
        (row.account_id, row.product_id, row.as_of_date, row.rollup_method): row
        for row in warehouse["rollup"].itertuples(index=False)
    }
    assert set(actual) == set(expected), (
        f"missing {sorted(set(expected) - set(actual))[:5]}, unexpected {sorted(set(actual) - set(expected))[:5]}"
    )
    wrong = [
        (key, column, getattr(actual[key], column), want[column])
        for key, want in expected.items()
        for column in ROLLUP_COLUMNS
        if not close(getattr(actual[key], column), want[column])
    ]
    assert not wrong, f"{len(wrong)} differences, e.g. {wrong[:10]}"
    # Every node x module x day x method of the window: subtrees with several members, both
    # methods and every band occur.
    assert len(expected) > 5000
    assert any(item["member_count"] > 3 for item in expected.values())
    assert {item["health_band"] for item in expected.values()} >= {"good", "average", "poor"}


def test_abandoned_modules_score_poor_while_their_accounts_keep_using_the_product(warehouse):
    """The planted case (generator: _demo.product_truth): the module ends poor on the last day."""
    truth = warehouse["truth"]
    health = warehouse["health"]
    last = health[health["as_of_date"] == warehouse["last_day"]]
    planted = truth.merge(last, on=["account_id", "product_id"])
    faded = planted[pd.to_datetime(planted["signal_start_date"]).dt.date
                    <= warehouse["last_day"] - dt.timedelta(days=45)]  # fmt: skip
    assert len(faded) >= 1
    assert (faded["health_band"] == "poor").all(), faded.to_string()
