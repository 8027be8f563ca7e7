"""The marts contract's scoring semantics in numpy, for any definition, on raw values.

The warehouse scores one definition, the one in the seeds. Calibration must score the
current definition and a candidate on the same past days, so it scores here, on the raw
indicator values the warehouse stored for those days (int_indicator_values_daily): the
same steps as int_indicator_scores_daily and int_account_health_scores (indicator score
by `linear` or `bands`, missing policy, pillar scores, health score over the pillars with
a score, coverage, band), the same rounding (9 decimals) and ranges. tests/test_calibrate.py
checks that scoring the seeds here gives the warehouse's health_score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_health.calibrate.definition import Definition, IndicatorRule

BANDS = ("good", "average", "poor", "insufficient_data")


@dataclass(frozen=True)
class Scores:
    health_score: np.ndarray  # NaN: no score
    coverage: np.ndarray
    band: np.ndarray  # object array of BANDS


def indicator_scores(raw: np.ndarray, rule: IndicatorRule) -> np.ndarray:
    """0-100 per value by the rule's method; missing values by its policy (NaN: left out)."""
    poor, good = rule.poor_value, rule.good_value
    with np.errstate(invalid="ignore"):
        if rule.scoring_method == "linear":
            scores = np.clip(100.0 * (raw - poor) / (good - poor), 0.0, 100.0)
        elif good > poor:
            scores = np.where(raw >= good, 100.0, np.where(raw <= poor, 0.0, 50.0))
        else:
            scores = np.where(raw <= good, 100.0, np.where(raw >= poor, 0.0, 50.0))
    fill = {"ignore": np.nan, "neutral": 50.0, "poor": 0.0}[rule.missing_policy]
    return np.where(np.isnan(raw), fill, scores)


def nominal_weights(definition: Definition, profile_id: str) -> dict[str, float]:
    """Each indicator's share of the profile's weight (contract: they sum to 1)."""
    rules = definition.rules_of(profile_id)
    pillars = {rule.pillar for rule in rules}
    pillar_weight = {p: definition.pillar_weights.get((profile_id, p), 0.0) for p in pillars}
    total = sum(pillar_weight.values())
    within = {p: sum(r.weight for r in rules if r.pillar == p) for p in pillars}
    return {
        r.indicator_id: (pillar_weight[r.pillar] / total * r.weight / within[r.pillar])
        if total > 0 and within[r.pillar] > 0
        else 0.0
        for r in rules
    }


def score_profile(definition: Definition, profile_id: str, raw: pd.DataFrame) -> Scores:
    """Score every row of `raw` (columns: indicator ids, NaN = no data) under one profile."""
    rules = definition.rules_of(profile_id)
    n = len(raw)
    nominal = nominal_weights(definition, profile_id)
    weighted = np.zeros(n)
    pillar_weight_total = np.zeros(n)
    coverage = np.zeros(n)
    for pillar in sorted({rule.pillar for rule in rules}):
        members = [rule for rule in rules if rule.pillar == pillar]
        sums = np.zeros(n)
        weights = np.zeros(n)
        for rule in members:
            values = (
                raw[rule.indicator_id].to_numpy(dtype=float)
                if rule.indicator_id in raw
                else np.full(n, np.nan)
            )
            scores = indicator_scores(values, rule)
            counted = ~np.isnan(scores)
            sums += np.where(counted, rule.weight * np.nan_to_num(scores), 0.0)
            weights += np.where(counted, rule.weight, 0.0)
            coverage += np.where(np.isnan(values), 0.0, nominal[rule.indicator_id])
        with np.errstate(invalid="ignore", divide="ignore"):
            pillar_score = np.where(weights > 0, sums / np.where(weights > 0, weights, 1.0), np.nan)
        pillar_w = definition.pillar_weights.get((profile_id, pillar), 0.0)
        in_use = ~np.isnan(pillar_score)
        weighted += np.where(in_use, pillar_w * np.nan_to_num(pillar_score), 0.0)
        pillar_weight_total += np.where(in_use, pillar_w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        health = np.where(
            pillar_weight_total > 0,
            weighted / np.where(pillar_weight_total > 0, pillar_weight_total, 1),
            np.nan,
        )
    health = np.clip(np.round(health, 9), 0.0, 100.0)
    coverage = np.clip(np.round(coverage, 9), 0.0, 1.0)
    profile = definition.profiles[profile_id]
    band = np.where(
        np.isnan(health) | (coverage < profile.min_coverage),
        "insufficient_data",
        np.where(
            health >= profile.good_threshold,
            "good",
            np.where(health < profile.poor_threshold, "poor", "average"),
        ),
    ).astype(object)
    return Scores(health_score=health, coverage=coverage, band=band)


def score(definition: Definition, profile_ids: Sequence[str], raw: pd.DataFrame) -> Scores:
    """Score each row under its own profile (profile_ids aligned with raw's rows)."""
    profile_ids = np.asarray(profile_ids, dtype=object)
    health = np.full(len(raw), np.nan)
    coverage = np.zeros(len(raw))
    band = np.full(len(raw), "insufficient_data", dtype=object)
    for profile_id in sorted(set(profile_ids.tolist())):
        if profile_id not in definition.profiles:
            continue
        rows = np.flatnonzero(profile_ids == profile_id)
        part = score_profile(definition, profile_id, raw.iloc[rows])
        health[rows], coverage[rows], band[rows] = part.health_score, part.coverage, part.band
    return Scores(health_score=health, coverage=coverage, band=band)


def churn_auc(is_churned: np.ndarray, health_score: np.ndarray) -> float | None:
    """ROC AUC of the score for churn (a lower score = a higher risk; ties count one half),
    over the rows with a score; None when either class is empty. Same as
    int_health_backtest_auc."""
    keep = ~np.isnan(health_score)
    labels, scores = is_churned[keep].astype(bool), health_score[keep]
    churned, retained = int(labels.sum()), int((~labels).sum())
    if churned == 0 or retained == 0:
        return None
    ranks = pd.Series(-scores).rank(method="average").to_numpy()
    return float((ranks[labels].sum() - churned * (churned + 1) / 2) / (churned * retained))
