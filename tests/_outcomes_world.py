"""The world of tests/test_outcomes_backtest.py: the generated dataset it builds, the churn
model's parameters restated as the tests' own, and the tests' side of the churn model: the
snapshots with labels recomputed from the outcomes mart, the holdout split by definition,
the model trained with its own code, and the rebuild of the churn models on a copy."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from conftest import END_DATE, run_dbt, window_vars

# Enough history for a back-test: a year of daily scores over two years of billing.
ACCOUNTS = 300
DAYS = 540
WINDOW_DAYS = 365
SEED = 5
START_DATE = END_DATE - dt.timedelta(days=WINDOW_DAYS - 1)
# The churn model's parameters (dbt vars, project defaults), restated here as the tests' own.
HORIZON_DAYS = 90  # churn_model_horizon_days
SNAPSHOT_DAYS = 14  # churn_model_snapshot_days
HOLDOUT_DAYS = 180  # churn_model_holdout_days
GRACE_DAYS = 30  # outcome_grace_days
MIN_FEATURE_COVERAGE = 0.3  # churn_model_min_feature_coverage
CUTOFF = END_DATE - dt.timedelta(days=HOLDOUT_DAYS)


def read_frame(con: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> pd.DataFrame:
    frame = con.execute(sql, list(parameters)).df()
    for column in frame.columns:
        if column.endswith("_date"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def examples_with_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The model's snapshots, each with the label recomputed here from the outcomes mart:
    a churned outcome in the HORIZON_DAYS after the snapshot day."""
    examples = read_frame(
        con,
        "select example_id, example_type, account_id, feature_date, is_churned, churn_date, health_score "
        "from intermediate.int_churn_model_examples",
    )
    churns = read_frame(
        con, "select account_id, outcome_date from marts.fct_customer_outcomes where is_churned"
    )
    joined = examples[["example_id", "account_id", "feature_date"]].merge(churns, on="account_id")
    in_window = joined[
        (joined["outcome_date"] > joined["feature_date"])
        & (joined["outcome_date"] <= joined["feature_date"] + pd.Timedelta(days=HORIZON_DAYS))
    ]
    first_churn = in_window.groupby("example_id")["outcome_date"].min()
    examples["expected_churn_date"] = examples["example_id"].map(first_churn)
    examples["label_end"] = examples["feature_date"] + pd.Timedelta(days=HORIZON_DAYS)
    return examples


def holdout_split(examples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and test snapshots of the holdout, by definition: train on labels final
    before the cutoff (label window and grace period over), test on the snapshots from the
    cutoff on whose label was final (window and grace period over) by the prediction date."""
    cutoff = pd.Timestamp(CUTOFF)
    history = examples[examples["example_type"] == "history"]
    train = history[history["label_end"] + pd.Timedelta(days=GRACE_DAYS) < cutoff]
    test = history[
        (history["feature_date"] >= cutoff)
        & (history["label_end"] + pd.Timedelta(days=GRACE_DAYS) < pd.Timestamp(END_DATE))
        & history["health_score"].notna()
    ]
    return train.sort_values("example_id"), test.sort_values("example_id")


def evaluation_module() -> object:
    """The evaluation model's own code (a dbt Python model file), to train it here."""
    path = (
        Path(__file__).resolve().parent.parent
        / "models"
        / "marts"
        / "predictive"
        / "rpt_churn_model_evaluation.py"
    )
    spec = importlib.util.spec_from_file_location("rpt_churn_model_evaluation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def holdout_probabilities(con: duckdb.DuckDBPyConnection, test_from: duckdb.DuckDBPyConnection) -> np.ndarray:
    """Train the model (its own code) on `con`'s training snapshots and predict the test
    snapshots of `test_from`."""
    module = evaluation_module()
    train, _ = holdout_split(examples_with_labels(con))
    _, test = holdout_split(examples_with_labels(test_from))
    values = read_frame(
        con, "select example_id, feature_name, feature_value from intermediate.int_churn_model_feature_values"
    )
    test_values = read_frame(
        test_from,
        "select example_id, feature_name, feature_value from intermediate.int_churn_model_feature_values",
    )
    x_train, x_test = module._features(
        module._design_matrix(train, values), module._design_matrix(test, test_values), MIN_FEATURE_COVERAGE
    )
    labels = train["expected_churn_date"].notna().to_numpy()
    return module._fit(x_train, labels).predict_proba(x_test.to_numpy())[:, 1]


def row_set(con: duckdb.DuckDBPyConnection, sql: str) -> set[tuple]:
    return set(con.execute(sql).fetchall())


def rebuild_churn_models(warehouse: Path, tmp_path: Path, **extra_vars: object) -> Path:
    copy = tmp_path / "copy" / "health.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(warehouse, copy)
    run_dbt(
        ["run", "--select", "fct_churn_risk", "rpt_churn_model_evaluation", "--vars",
         window_vars(START_DATE, END_DATE, **extra_vars)],
        copy,
        tmp_path,
    )  # fmt: skip
    return copy
