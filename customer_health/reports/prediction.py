"""The churn-risk model beside the rule-based score, on the same held-out renewal points.

fct_churn_risk is a logistic regression (median imputation, standardisation, L2 with
C=0.1) over every indicator's raw value, the health score and the account's size. Its own
evaluation (rpt_churn_model_evaluation) uses fortnightly snapshots; to compare it with a
calibrated definition it must be judged on the very renewal points the definition is
judged on. This refits the same learner on the calibration's training examples (raw
values, missingness, the stored health score, ln ARR, ln seats, all at the horizon
point) and scores the held-out ones: the numbers say which wins, and by how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from customer_health.calibrate.dataset import Examples

MODEL_NAME = "logistic_regression (the learner of fct_churn_risk)"


def _features(rows: Examples) -> pd.DataFrame:
    frame = rows.raw.copy()
    for column in rows.indicators:
        frame[f"missing_{column}"] = frame[column].isna().astype(float)
    frame["health_score"] = rows.frame["stored_health_score"].astype(float)
    frame["log_arr"] = np.log1p(rows.frame["arr"].astype(float).clip(lower=0))
    frame["log_seats"] = np.log1p(rows.frame["licensed_seats"].astype(float).clip(lower=0))
    return frame.reindex(columns=sorted(frame.columns))


def churn_model_on_held_out(
    train: Examples, held_out: Examples, rows_mask: np.ndarray | None = None
) -> dict[str, Any]:
    """AUC of the churn-risk model on the held-out rows (`rows_mask`: the rows the rule-based
    scores were judged on)."""
    train_y, test_y = train.churned, held_out.churned
    if train_y.sum() < 2 or (~train_y).sum() < 2:
        return {"model": MODEL_NAME, "status": "not trained", "auc": None}
    model = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=5000, random_state=0),
    )
    model.fit(_features(train).to_numpy(), train_y)
    mask = np.ones(len(held_out), dtype=bool) if rows_mask is None else rows_mask
    labels = test_y[mask]
    if labels.sum() == 0 or (~labels).sum() == 0:
        return {"model": MODEL_NAME, "status": "no held-out churn", "auc": None}
    risk = model.predict_proba(_features(held_out).to_numpy())[:, 1][mask]
    return {
        "model": MODEL_NAME,
        "status": "trained",
        "auc": round(float(roc_auc_score(labels, risk)), 4),
        "churned": int(labels.sum()),
        "retained": int((~labels).sum()),
        "train_churned": int(train_y.sum()),
        "train_retained": int((~train_y).sum()),
    }


def verdict(candidate_auc: float | None, current_auc: float | None, model: Mapping[str, Any]) -> str:
    """One sentence: which predicts churn better on the held-out renewal points."""
    model_auc = model.get("auc")
    if candidate_auc is None or model_auc is None:
        return "The churn-risk model could not be compared (too few outcomes on one side)."
    gap = candidate_auc - model_auc
    both = f"(AUC {candidate_auc:.3f} calibrated score, {model_auc:.3f} churn-risk model)"
    if abs(gap) < 0.005:
        head = f"The calibrated score and the churn-risk model predict churn equally well {both}"
    elif gap > 0:
        head = f"The calibrated score beats the churn-risk model by {gap:.3f} {both}"
    else:
        head = f"The churn-risk model beats the calibrated score by {-gap:.3f} {both}"
    tail = f"; the current definition scores {current_auc:.3f}." if current_auc is not None else "."
    return head + tail


def calibration_summary(report: Mapping[str, Any] | None) -> str:
    """The demo's closing lines: current vs candidate 90 days ahead on held-out outcomes,
    the churn-risk model beside them, and what the reviewer is advised to do."""
    if report is None:
        return "Calibration: no report yet (run health_calibration_job)."
    if report.get("status") != "ok":
        return f"Calibration refused: {report.get('message', '')}"
    horizon = report["settings"]["horizon_days"]
    data = report["data"]
    lines = [
        f"Prediction {horizon} days ahead, on held-out renewal points after {data['train_until']} "
        f"(the calibration never saw them; trained on {data['training']['churned']} churned and "
        f"{data['training']['retained']} retained before):"
    ]
    for row in report["held_out_evaluation"]["auc"]:
        lines.append(
            f"  {row['horizon_days']:>3} days ahead: current definition AUC {_auc(row['current_auc'])}, "
            f"calibrated candidate {_auc(row['candidate_auc'])} "
            f"({row['churned']} churned / {row['retained']} retained)"
        )
    model = report.get("churn_risk_model") or {}
    if model.get("auc") is not None:
        lines.append(
            f"  churn-risk model ({horizon} days ahead, same points): AUC {_auc(model['auc'])}. "
            f"{model.get('verdict', '')}"
        )
    lines.append(f"  {report['recommendation']['text']}")
    return "\n".join(lines)


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
