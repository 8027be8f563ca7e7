"""One row per account scored on the latest as_of_date (the prediction date): the
probability that it churns within the next churn_model_horizon_days days (default 90),
from a logistic regression trained on the account history, and the features that push
that probability up.

Examples (int_churn_model_examples): every scored account on snapshot days every 14 days
back from the prediction date, labelled with whether it churned in the horizon after the
snapshot; features (int_churn_model_feature_values) are the indicator raw values and
their 30-day changes, health and pillar scores, size, tenure and days to the annual term
end, all as of the snapshot day (value dates never after it).

Strict time split: the model learns only from examples whose label window ended before
the prediction date, so every churn it learns from happened before that day and no
feature is newer than its example's snapshot day. Feature choice (those with a value in
at least min_feature_coverage of the training examples), imputation medians and
standardization are fitted on the training examples only.

Top contributing features: the model works on standardized features, so a feature's
contribution to an account's log-odds of churn is coefficient x standardized value (its
distance from the training mean); the three largest positive ones are the account's
risk factors, in words. Deterministic (sorted inputs, lbfgs, fixed random_state). With
too few churned or retained training examples the model is not trained: every account
gets a null probability, model_status 'insufficient_data' and the reason in model_note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_NAME = "logistic_regression"
RANDOM_STATE = 0
TOP_FEATURES = 3

OUTPUT_DTYPES: dict[str, str] = {
    "account_id": "object",
    "prediction_date": "object",
    "horizon_days": "Int64",
    "churn_probability": "Float64",
    "risk_rank": "Int64",
    "health_score": "Float64",
    "health_band": "object",
    "definition_version": "object",
    "top_risk_factors": "object",
    "top_feature_1": "object",
    "top_contribution_1": "Float64",
    "top_feature_2": "object",
    "top_contribution_2": "Float64",
    "top_feature_3": "object",
    "top_contribution_3": "Float64",
    "model_name": "object",
    "model_status": "object",
    "model_note": "object",
    "training_example_count": "Int64",
    "training_churn_count": "Int64",
    "training_max_feature_date": "object",
    "training_max_label_date": "object",
    "training_max_outcome_date": "object",
    "feature_count": "Int64",
}


# --- shared with rpt_churn_model_evaluation.py (dbt Python models cannot import each other)
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


def _contributions(model: Any, features: pd.DataFrame) -> np.ndarray:
    """Per example and feature: coefficient x standardized value (log-odds)."""
    imputer, scaler, logistic = (step for _, step in model.steps)
    standardized = scaler.transform(imputer.transform(features.to_numpy()))
    return standardized * logistic.coef_[0]


def _reason(name: str, label: str, value: float, contribution: float) -> str:
    """'<feature> <value> (+<log-odds>)' with the value in its natural unit."""
    if name.startswith("missing_"):
        return f"{label} (+{contribution:.2f} log-odds)"
    if np.isnan(value):
        shown = "no data"
    else:
        natural = float(np.expm1(value)) if name.startswith("log_") else float(value)
        shown = f"{natural:,.0f}" if abs(natural) >= 100 or natural.is_integer() else f"{natural:.2f}"
    return f"{label} {shown} (+{contribution:.2f} log-odds)"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in OUTPUT_DTYPES.items()})


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    meta = dbt.config.get("meta") or {}
    min_per_class = int(meta.get("min_examples_per_class", 10))
    min_coverage = float(meta.get("min_feature_coverage", 0.3))

    examples, values = _load_examples(dbt)
    current = examples[examples["example_type"] == "current"].reset_index(drop=True)
    if current.empty:
        return _empty()
    prediction_date = current["prediction_date"].iloc[0]
    # Only labels known before the prediction date (the whole label window before it).
    training = examples[
        (examples["example_type"] == "history")
        & examples["is_label_known"].astype(bool)
        & (examples["label_end_date"] < prediction_date)
    ].reset_index(drop=True)
    labels = training["is_churned"].astype(bool).to_numpy()
    churned, retained = int(labels.sum()), int((~labels).sum())
    x_training, x_current = _features(
        _design_matrix(training, values), _design_matrix(current, values), min_coverage
    )
    out = pd.DataFrame(
        {
            "account_id": current["account_id"].astype(str),
            "prediction_date": current["prediction_date"].map(_as_date),
            "horizon_days": current["horizon_days"],
            "health_score": current["health_score"],
            "health_band": current["health_band"],
            "definition_version": current["definition_version"],
            "model_name": MODEL_NAME,
            "training_example_count": len(training),
            "training_churn_count": churned,
            "training_max_feature_date": _as_date(training["feature_date"].max()),
            "training_max_label_date": _as_date(training["label_end_date"].max()),
            "training_max_outcome_date": _as_date(training["churn_date"].max()),
            "feature_count": x_current.shape[1],
        }
    )
    if churned < min_per_class or retained < min_per_class or x_current.shape[1] == 0:
        out["model_status"] = "insufficient_data"
        out["model_note"] = (
            f"not trained: {churned} churned and {retained} retained training examples with "
            f"a label known before {_as_date(prediction_date)} (at least {min_per_class} of "
            "each are needed)"
        )
        for column, dtype in OUTPUT_DTYPES.items():
            if column not in out:
                out[column] = pd.Series([None] * len(out), dtype=dtype)
        return out[list(OUTPUT_DTYPES)].astype(OUTPUT_DTYPES)

    fitted = _fit(x_training, labels)
    probability = fitted.predict_proba(x_current.to_numpy())[:, 1]
    contributions = _contributions(fitted, x_current)
    names = list(x_current.columns)
    feature_labels = (
        values.drop_duplicates("feature_name").set_index("feature_name")["feature_label"].to_dict()
    )
    for name in names:
        if name.startswith("missing_"):
            base = name.removeprefix("missing_")
            feature_labels[name] = f"no {feature_labels.get(base, base)} data"
    raw = x_current.to_numpy()
    reasons: list[str] = []
    tops: list[list[tuple[str | None, float | None]]] = []
    for i in range(len(out)):
        order = [j for j in np.argsort(-contributions[i], kind="stable") if contributions[i, j] > 0]
        top = order[:TOP_FEATURES]
        tops.append(
            [(names[j], float(contributions[i, j])) for j in top] + [(None, None)] * (TOP_FEATURES - len(top))
        )
        reasons.append(
            "; ".join(
                _reason(
                    names[j], feature_labels.get(names[j], names[j]), raw[i, j], contributions[i, j]
                )  # fmt: skip
                for j in top
            )
            or "no feature raises the risk above the training average"
        )
    out["churn_probability"] = probability
    # account_id breaks ties so that the ranking is deterministic.
    ranking = out.assign(_p=probability).sort_values(["_p", "account_id"], ascending=[False, True])
    out["risk_rank"] = pd.Series(np.arange(1, len(out) + 1), index=ranking.index)
    out["top_risk_factors"] = reasons
    for k in range(TOP_FEATURES):
        out[f"top_feature_{k + 1}"] = [t[k][0] for t in tops]
        out[f"top_contribution_{k + 1}"] = [t[k][1] for t in tops]
    out["model_status"] = "trained"
    out["model_note"] = (
        f"trained on {len(training)} account snapshots ({churned} followed by a churn within "
        f"{int(current['horizon_days'].iloc[0])} days) with labels known before "
        f"{_as_date(prediction_date)}; {x_current.shape[1]} features"
    )
    return out[list(OUTPUT_DTYPES)].astype(OUTPUT_DTYPES)
