"""Every indicator value of the shared test warehouse against an independent reference.

tests/reference/ recomputes, in pandas from the RAW tables and the documented
definitions (docs/health_definitions.md, seeds/definitions/health_indicators.csv), the
usage measures, the scored account-days and the ten indicators; here they are compared
with int_product_activity_daily, int_usage_metrics_daily and int_indicator_values_daily
on every account and day the build computed (the window and the score_change_days before
it): the same account-days, the same missingness, the same values within 1e-9.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from reference.indicators import INDICATORS, indicators_from, measures, product_activity
from reference.staging import load

TOLERANCE = 1e-9
SCORE_CHANGE_DAYS = 30  # dbt var score_change_days: the build also scores the 30 days before its window
USAGE_MEASURES = (
    "licensed_seats",
    "active_users_30d",
    "licensed_active_users_30d",
    "active_users_prior_30d",
    "key_features_used_30d",
    "key_features_licensed",
)


@pytest.fixture(scope="module")
def warehouse(built_warehouse):
    con = duckdb.connect(str(built_warehouse.path), read_only=True)
    first_day = built_warehouse.start_date - dt.timedelta(days=SCORE_CHANGE_DAYS)

    def table(sql: str) -> pd.DataFrame:
        frame = con.execute(sql).df()
        for column in ("as_of_date", "activity_date"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column]).dt.date
        return frame

    result = {
        "staged": load(con),
        "first_day": first_day,
        "last_day": built_warehouse.end_date,
        "values": table(
            "select account_id, as_of_date, indicator_id, raw_value from intermediate.int_indicator_values_daily"
        ),
        "usage": table(
            f"select account_id, as_of_date, {', '.join(USAGE_MEASURES)} from intermediate.int_usage_metrics_daily"
        ),
        "activity": table(
            "select account_id, user_id, activity_date, is_licensed, event_count from intermediate.int_product_activity_daily"
        ),
    }
    con.close()
    return result


@pytest.fixture(scope="module")
def reference_measures(warehouse) -> pd.DataFrame:
    return measures(warehouse["staged"], warehouse["first_day"], warehouse["last_day"])


@pytest.fixture(scope="module")
def compared_values(warehouse, reference_measures) -> pd.DataFrame:
    return indicators_from(reference_measures).merge(
        warehouse["values"],
        on=["account_id", "as_of_date", "indicator_id"],
        how="outer",
        suffixes=("_reference", "_sql"),
        indicator=True,
    )


def mismatches(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows where the two sides differ: one missing and not the other, or values apart."""
    ours, theirs = frame[f"{column}_reference"].astype(float), frame[f"{column}_sql"].astype(float)
    missing_differs = ours.isna() != theirs.isna()
    value_differs = ours.notna() & theirs.notna() & ~np.isclose(ours, theirs, rtol=0, atol=TOLERANCE)
    return frame[missing_differs | value_differs]


def test_the_same_account_days_are_scored(warehouse, compared_values):
    one_sided = compared_values[compared_values["_merge"] != "both"]
    assert one_sided.empty, one_sided.head(20).to_string()
    days = set(compared_values["as_of_date"])
    expected = {
        warehouse["first_day"] + dt.timedelta(days=i)
        for i in range((warehouse["last_day"] - warehouse["first_day"]).days + 1)
    }
    assert days == expected
    assert compared_values[["account_id", "as_of_date"]].drop_duplicates().shape[0] > 4000


@pytest.mark.parametrize("indicator_id", INDICATORS)
def test_indicator_matches_the_reference(compared_values, indicator_id):
    rows = compared_values[
        (compared_values["indicator_id"] == indicator_id) & (compared_values["_merge"] == "both")
    ]
    present = rows["raw_value_reference"].notna()
    # The data must exercise the indicator: values that vary (no pass on all-null or constant columns).
    assert present.sum() > 100 and rows.loc[present, "raw_value_reference"].nunique() > 2, indicator_id
    wrong = mismatches(rows, "raw_value")
    assert wrong.empty, (
        f"{len(wrong)} of {len(rows)} {indicator_id} values differ:\n{wrong.head(15).to_string()}"
    )


@pytest.mark.parametrize(
    "indicator_id",
    ["active_user_trend", "exec_engagement", "nps", "goal_attainment", "onboarding_progress"],
)
def test_indicators_with_no_data_days_have_both_kinds(compared_values, indicator_id):
    rows = compared_values[compared_values["indicator_id"] == indicator_id]
    assert rows["raw_value_reference"].isna().sum() > 10 and rows["raw_value_reference"].notna().sum() > 10


def test_usage_measures_match_the_reference(warehouse, reference_measures):
    merged = reference_measures[["account_id", "as_of_date", *USAGE_MEASURES]].merge(
        warehouse["usage"],
        on=["account_id", "as_of_date"],
        how="outer",
        suffixes=("_reference", "_sql"),
        indicator=True,
    )
    assert (merged["_merge"] == "both").all()
    for column in USAGE_MEASURES:
        wrong = mismatches(merged, column)
        assert wrong.empty, f"{column}: {len(wrong)} rows differ:\n{wrong.head(15).to_string()}"
    # The data exercises the seat rule: licensed users deactivated inside the span, with
    # events in the 30 days before (they count as active users, not as licensed ones).
    staged = warehouse["staged"]
    users = staged.users[
        staged.users["is_licensed"].fillna(False).astype(bool) & staged.users["deactivated_at"].notna()
    ]
    events = staged.tracks.merge(users[["id", "deactivated_at"]], left_on="user_id", right_on="id")
    gap = (events["deactivated_at"].dt.floor("D") - events["timestamp"].dt.floor("D")).dt.days
    in_span = events["deactivated_at"].dt.date.between(warehouse["first_day"], warehouse["last_day"])
    assert events.loc[in_span & gap.between(1, 29), "user_id"].nunique() >= 5


def test_product_activity_matches_the_reference(warehouse):
    stored = warehouse["activity"]
    span_start = stored["activity_date"].min()
    reference = product_activity(warehouse["staged"])
    reference = reference[
        (reference["activity_date"] >= span_start) & (reference["activity_date"] <= warehouse["last_day"])
    ]
    merged = reference.merge(
        stored,
        on=["account_id", "user_id", "activity_date"],
        how="outer",
        suffixes=("_reference", "_sql"),
        indicator=True,
    )
    one_sided = merged[merged["_merge"] != "both"]
    assert one_sided.empty, one_sided.head(20).to_string()
    assert (merged["event_count_reference"] == merged["event_count_sql"]).all()
    assert (merged["is_licensed_reference"] == merged["is_licensed_sql"]).all()
    # The pre-aggregate reaches back far enough for the 60-day trend of the first scored day.
    assert span_start <= warehouse["first_day"] - dt.timedelta(days=59)
