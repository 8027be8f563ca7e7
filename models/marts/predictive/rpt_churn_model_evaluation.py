"""One row per churn-risk model (today one: the logistic regression of fct_churn_risk):
its time-based holdout evaluation next to the rule-based health score on the very same
examples.

Split: cutoff = prediction date (the latest as_of_date) minus holdout_days (default
180). The model is trained exactly as fct_churn_risk trains it, but only on snapshots
whose label was final before the cutoff: the label window (snapshot day +
churn_model_horizon_days) and the outcome_grace_days after it ended before the cutoff, so
every churn it learns from happened before the cutoff and no late renewal signed after
it can change a training label (a drop to zero ARR is a churn only when no renewal comes
within the grace period); it is tested on the snapshots from the cutoff on whose label
window ended before the prediction date. model_auc is the ROC
AUC of its churn probability on the test snapshots, rule_based_auc that of the health
score (lower score = higher risk) on the same snapshots. With too few churned or
retained examples on either side the AUCs are null and model_note says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_NAME = "logistic_regression"
RANDOM_STATE = 0

OUTPUT_DTYPES: dict[str, str] = {
    "model_name": "object",
    "horizon_days": "Int64",
    "prediction_date": "object",
    "cutoff_date": "object",
    "holdout_days": "Int64",
    "model_status": "object",
    "model_note": "object",
    "train_example_count": "Int64",
    "train_churn_count": "Int64",
    "train_max_feature_date": "object",
    "train_max_label_date": "object",
    "train_max_outcome_date": "object",
    "test_example_count": "Int64",
    "test_churn_count": "Int64",
    "test_account_count": "Int64",
    "test_min_feature_date": "object",
    "test_max_feature_date": "object",
    "model_auc": "Float64",
    "rule_based_auc": "Float64",
}


# --- shared with fct_churn_risk.py (dbt Python models cannot import each other)
def _as_date(value: Any) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _load_examples(dbt: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    examples = dbt.ref("int_churn_model_examples").df()
    values = dbt.ref("int_churn_model_feature_values").df()
    examples = examples.sort_values("example_id", kind="stable").reset_index(drop=True)
    for column in ("feature_date", "label_end_date", "churn_date", "prediction_date"):
        examples[column] = pd.to_datetime(examples[column])
    return examples, values


def _design_matrix(examples: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Examples x features (sorted both ways), NaN where a feature has no value."""
    wide = values.pivot_table(
        index="example_id", columns="feature_name", values="feature_value", aggfunc="first"
    )
    wide = wide.reindex(index=examples["example_id"]).astype("float64")
    return wide.reindex(columns=sorted(wide.columns))


def _features(
    train: pd.DataFrame, other: pd.DataFrame, min_coverage: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the features with a value in at least min_coverage of the training examples
    (decided on the training set only) and add a 0/1 `missing_<feature>` column for each
    kept feature that is sometimes missing there (no data is information too)."""
    columns = sorted(set(train.columns) | set(other.columns))
    train, other = train.reindex(columns=columns), other.reindex(columns=columns)
    coverage = train.notna().mean() if len(train) else pd.Series(0.0, index=columns)
    kept = [c for c in columns if coverage[c] >= min_coverage]
    flagged = [c for c in kept if coverage[c] < 1]

    def build(frame: pd.DataFrame) -> pd.DataFrame:
        flags = frame[flagged].isna().astype("float64").add_prefix("missing_")
        return pd.concat([frame[kept], flags], axis=1)

    return build(train), build(other)


def _fit(features: pd.DataFrame, labels: np.ndarray) -> Any:
    """Median imputation, standardization, L2 logistic regression (C=0.1: few examples)."""
    model = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=5000, random_state=RANDOM_STATE),
    )
    model.fit(features.to_numpy(), labels)
    return model


# --- end of the shared part


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if labels.sum() == 0 or (~labels).sum() == 0:
        return None
    return float(roc_auc_score(labels, scores))


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    meta = dbt.config.get("meta") or {}
    holdout_days = int(meta.get("holdout_days", 180))
    grace = pd.Timedelta(days=int(meta.get("outcome_grace_days", 30)))
    min_per_class = int(meta.get("min_examples_per_class", 10))
    min_coverage = float(meta.get("min_feature_coverage", 0.3))

    examples, values = _load_examples(dbt)
    if examples.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in OUTPUT_DTYPES.items()})
    prediction_date = examples["prediction_date"].iloc[0]
    cutoff = prediction_date - pd.Timedelta(days=holdout_days)
    known = examples[(examples["example_type"] == "history") & examples["is_label_known"].astype(bool)]
    train = known[known["label_end_date"] + grace < cutoff].reset_index(drop=True)
    test = known[
        (known["feature_date"] >= cutoff)
        & (known["label_end_date"] < prediction_date)
        & known["health_score"].notna()
    ].reset_index(drop=True)
    y_train = train["is_churned"].astype(bool).to_numpy()
    y_test = test["is_churned"].astype(bool).to_numpy()
    train_churned, test_churned = int(y_train.sum()), int(y_test.sum())

    model_auc = None
    if train_churned < min_per_class or len(train) - train_churned < min_per_class:
        status = "insufficient_data"
        note = (
            f"not trained: {train_churned} churned and {len(train) - train_churned} retained "
            f"snapshots with a label known before the cutoff {_as_date(cutoff)} (at least "
            f"{min_per_class} of each are needed)"
        )
    elif test_churned == 0 or test_churned == len(test):
        status = "insufficient_data"
        note = f"AUC undefined: {test_churned} churned of {len(test)} test snapshots"
    else:
        x_train, x_test = _features(_design_matrix(train, values), _design_matrix(test, values), min_coverage)
        probability = _fit(x_train, y_train).predict_proba(x_test.to_numpy())[:, 1]
        model_auc = _auc(y_test, probability)
        status = "evaluated"
        note = (
            f"trained on {len(train)} snapshots with labels known before {_as_date(cutoff)}, "
            f"tested on {len(test)} snapshots from {_as_date(cutoff)} on"
        )
    row = {
        "model_name": MODEL_NAME,
        "horizon_days": int(examples["horizon_days"].iloc[0]),
        "prediction_date": _as_date(prediction_date),
        "cutoff_date": _as_date(cutoff),
        "holdout_days": holdout_days,
        "model_status": status,
        "model_note": note,
        "train_example_count": len(train),
        "train_churn_count": train_churned,
        "train_max_feature_date": _as_date(train["feature_date"].max()),
        "train_max_label_date": _as_date(train["label_end_date"].max()),
        "train_max_outcome_date": _as_date(train["churn_date"].max()),
        "test_example_count": len(test),
        "test_churn_count": test_churned,
        "test_account_count": int(test["account_id"].nunique()),
        "test_min_feature_date": _as_date(test["feature_date"].min()),
        "test_max_feature_date": _as_date(test["feature_date"].max()),
        "model_auc": model_auc,
        "rule_based_auc": _auc(y_test, -test["health_score"].to_numpy()) if len(test) else None,
    }
    return pd.DataFrame([row], columns=list(OUTPUT_DTYPES)).astype(OUTPUT_DTYPES)
