"""Fit a candidate definition in the project's own terms (docs/calibration.md, "The method").

For each profile, on the training examples (renewal points seen horizon days before):

1. poor / good values per indicator from the raw values of churned and retained accounts:
   poor = the churned accounts' median, good = the retained accounts' median, when the
   retained sit on the catalogue's better side by at least a quarter of the interquartile
   range; otherwise the pooled quartiles in the natural direction. Too few values, or a
   degenerate range, keeps the current rule (method and values). New rules score `linear`.
2. weights: an L2-regularised logistic regression of churn on the indicator scores (0-1,
   missing values at the training mean) with non-negative coefficients (a better score
   never raises the risk) and balanced classes; the penalty is chosen from a small grid
   on the last quarter of the training period. Each indicator's share of the weight is its
   coefficient's share; pillar weight = the sum of its indicators' shares, so the nominal
   weight of every indicator equals its share. Shares under half a percent are dropped.
3. missing policy: per indicator with missing values, the policy (ignore / neutral / poor)
   with the best training AUC of the whole score, the current one on ties.
4. bands: poor threshold = the score below which the riskiest `poor_share` (20%) of the
   training examples fall, good threshold = the score above which the safest
   `good_share` (40%) lie.

A profile with at least `min_profile_per_class` churned and retained examples is fitted on
its own examples; the others take the pooled fit (all examples) restricted to their own
indicators, so every profile keeps its structure (indicators, pillars, rules, coverage).
Everything is deterministic: no sampling, a fixed optimiser start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from customer_health.calibrate.dataset import Examples
from customer_health.calibrate.definition import Definition, IndicatorRule
from customer_health.calibrate.scoring import churn_auc, indicator_scores, score_profile

POLICIES = ("ignore", "neutral", "poor")


@dataclass(frozen=True)
class Settings:
    horizon_days: int = 90
    min_train_per_class: int = 30
    min_held_out_per_class: int = 10
    min_profile_per_class: int = 30
    poor_share: float = 0.2
    good_share: float = 0.4
    penalties: tuple[float, ...] = (0.001, 0.01, 0.1)
    validation_share: float = 0.25
    min_values: int = 20
    min_missing: int = 15
    min_weight_percent: float = 0.5


@dataclass
class ProfileFit:
    """What was fitted for one profile, for the report."""

    profile_id: str
    method: str  # profile | pooled | unchanged
    train_churned: int
    train_retained: int
    penalty: float | None = None
    shares: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, str] = field(default_factory=dict)  # indicator -> how poor/good were set
    train_auc_current: float | None = None
    train_auc_candidate: float | None = None


# ----------------------------------------------------------------------------- thresholds


def fit_thresholds(
    values: np.ndarray, churned: np.ndarray, higher_is_better: bool, min_values: int
) -> tuple[float, float, str] | None:
    """(poor, good, how) from the present values; None: keep the current rule."""
    present = ~np.isnan(values)
    if present.sum() < min_values or churned[present].sum() == 0 or (~churned[present]).sum() == 0:
        return None
    v, c = values[present], churned[present]
    direction = 1.0 if higher_is_better else -1.0
    churned_median, retained_median = float(np.median(v[c])), float(np.median(v[~c]))
    q25, q75 = (float(q) for q in np.quantile(v, [0.25, 0.75]))
    if (
        direction * (retained_median - churned_median) > 0.25 * (q75 - q25)
        and retained_median != churned_median
    ):
        poor, good, how = churned_median, retained_median, "medians of churned / retained"
    else:
        poor, good = (q25, q75) if higher_is_better else (q75, q25)
        how = "quartiles (churned and retained do not separate)"
    # Three significant digits of the range: values a reviewer can read (0.293 -> 0.684, -23 -> 27).
    decimals = min(4, max(0, 2 - math.floor(math.log10(abs(good - poor))))) if good != poor else 4
    poor, good = round(poor, decimals), round(good, decimals)
    if poor == good:
        return None
    return poor, good, how


# ----------------------------------------------------------------------------- weights


def _design(
    raw: pd.DataFrame, rules: Sequence[IndicatorRule], means: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indicator scores / 100 by each rule, one column per rule: missing data as the rule's
    policy scores it (neutral 0.5, poor 0), or the training mean where it is left out."""
    columns = []
    for rule in rules:
        values = (
            raw[rule.indicator_id].to_numpy(dtype=float)
            if rule.indicator_id in raw
            else np.full(len(raw), np.nan)
        )
        columns.append(indicator_scores(values, rule) / 100.0)
    x = np.column_stack(columns) if columns else np.zeros((len(raw), 0))
    if means is None:
        means = np.array([np.nanmean(col) if np.any(~np.isnan(col)) else 0.5 for col in x.T])
    return np.where(np.isnan(x), means[None, :], x), means


def nonnegative_logistic(
    x: np.ndarray, churned: np.ndarray, penalty: float, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Churn logit = b[group] - x.w with w >= 0 (balanced classes, L2 penalty on w only).

    One intercept per group (the example's profile): the weights then say what separates
    churned from retained accounts within a profile, not which profile churns more."""
    y = churned.astype(float)
    n, k = x.shape
    codes = np.zeros(n, dtype=int) if groups is None else np.unique(groups, return_inverse=True)[1]
    m = int(codes.max()) + 1 if n else 1
    positives = max(y.sum(), 1.0)
    negatives = max(n - y.sum(), 1.0)
    sample = np.where(y == 1, n / (2 * positives), n / (2 * negatives)) / n

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        b, w = theta[:m], theta[m:]
        z = b[codes] - x @ w
        value = float(np.sum(sample * (np.logaddexp(0.0, z) - y * z)) + penalty * np.dot(w, w))
        g = sample * (1.0 / (1.0 + np.exp(-z)) - y)
        return value, np.concatenate(
            [np.bincount(codes, weights=g, minlength=m), -(x.T @ g) + 2 * penalty * w]
        )

    result = minimize(
        loss, np.zeros(m + k), jac=True, method="L-BFGS-B", bounds=[(None, None)] * m + [(0.0, None)] * k,
        options={"maxiter": 2000, "gtol": 1e-10},
    )  # fmt: skip
    return result.x[:m], np.maximum(result.x[m:], 0.0)


def fit_shares(
    examples: Examples, rules: Sequence[IndicatorRule], settings: Settings
) -> tuple[dict[str, float], float | None]:
    """Each rule's share of the weight (sums to 1; empty when no indicator carries signal)."""
    if not rules:
        return {}, None
    churned, profiles = examples.churned, examples.profiles
    order = np.argsort(pd.to_datetime(examples.frame["outcome_date"]).to_numpy(), kind="stable")
    cut = int(round(len(order) * (1 - settings.validation_share)))
    fit_rows, check_rows = order[:cut], order[cut:]
    best_penalty, best_auc = settings.penalties[-1], -1.0
    if churned[fit_rows].any() and (~churned[fit_rows]).any():
        x_fit, means = _design(examples.raw.iloc[fit_rows], rules)
        x_check, _ = _design(examples.raw.iloc[check_rows], rules, means)
        # Largest penalty first: on a tie the simpler (smaller) weights win.
        for penalty in sorted(settings.penalties, reverse=True):
            _, w = nonnegative_logistic(x_fit, churned[fit_rows], penalty, profiles[fit_rows])
            auc = churn_auc(churned[check_rows], x_check @ w) if w.any() else None
            if auc is not None and auc > best_auc + 1e-9:
                best_penalty, best_auc = penalty, auc
    x, _ = _design(examples.raw, rules)
    _, w = nonnegative_logistic(x, churned, best_penalty, profiles)
    total = float(w.sum())
    if total <= 0:
        return {}, best_penalty
    return {
        rule.indicator_id: float(value) / total for rule, value in zip(rules, w, strict=True)
    }, best_penalty


def rules_from_shares(
    template: Sequence[IndicatorRule], shares: Mapping[str, float], min_percent: float
) -> tuple[list[IndicatorRule], dict[str, float]]:
    """Indicator weights = share in percent (one decimal); pillar weight = the sum of its
    indicators' percents, so that each nominal weight equals the share. Pillars left without
    an indicator keep a row with weight 0."""
    percents = {rid: round(100.0 * share, 1) for rid, share in shares.items()}
    kept = [replace(rule, weight=percents[rule.indicator_id]) for rule in template
            if percents.get(rule.indicator_id, 0.0) >= min_percent]  # fmt: skip
    if not kept:  # keep the strongest indicator at least
        best = max(template, key=lambda rule: (shares.get(rule.indicator_id, 0.0), rule.indicator_id))
        kept = [replace(best, weight=100.0)]
    pillars = {rule.pillar: 0.0 for rule in template}
    for rule in kept:
        pillars[rule.pillar] = round(pillars[rule.pillar] + rule.weight, 1)
    return kept, pillars


# ----------------------------------------------------------------------------- missing policy and bands


def choose_missing_policies(
    definition: Definition, profile_id: str, examples: Examples, min_missing: int
) -> Definition:
    """Greedy, in indicator order: the policy with the best AUC of the whole score."""
    for rule in sorted(definition.rules_of(profile_id), key=lambda r: r.indicator_id):
        if rule.indicator_id not in examples.raw:
            continue
        missing = int(examples.raw[rule.indicator_id].isna().sum())
        if missing < min_missing or missing == len(examples):
            continue
        best, best_auc = rule.missing_policy, -1.0
        for policy in (rule.missing_policy, *[p for p in POLICIES if p != rule.missing_policy]):
            trial = _with_rule(definition, replace(rule, missing_policy=policy))
            auc = churn_auc(examples.churned, score_profile(trial, profile_id, examples.raw).health_score)
            if auc is not None and auc > best_auc + 1e-9:
                best, best_auc = policy, auc
        definition = _with_rule(definition, replace(rule, missing_policy=best))
    return definition


def _with_rule(definition: Definition, new_rule: IndicatorRule) -> Definition:
    rules = tuple(
        new_rule if (r.profile_id, r.indicator_id) == (new_rule.profile_id, new_rule.indicator_id) else r
        for r in definition.rules
    )
    return replace(definition, rules=rules)


def band_thresholds(scores: np.ndarray, poor_share: float, good_share: float) -> tuple[float, float] | None:
    """(poor, good): the riskiest poor_share below poor, the safest good_share at or above good."""
    present = scores[~np.isnan(scores)]
    if len(present) < 20:
        return None
    poor = math.floor(float(np.quantile(present, poor_share)) * 10) / 10
    good = math.ceil(float(np.quantile(present, 1 - good_share)) * 10) / 10
    poor, good = max(0.0, min(100.0, poor)), max(0.0, min(100.0, good))
    if not poor < good:
        return None
    return poor, good
