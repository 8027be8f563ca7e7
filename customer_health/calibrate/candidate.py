"""The candidate definition: every profile refitted (fit.py), structure kept."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from customer_health.calibrate.dataset import Examples
from customer_health.calibrate.definition import Definition, IndicatorRule
from customer_health.calibrate.fit import (
    ProfileFit,
    Settings,
    band_thresholds,
    choose_missing_policies,
    fit_shares,
    fit_thresholds,
    rules_from_shares,
)
from customer_health.calibrate.scoring import churn_auc, score_profile


def _fitted(
    rule: IndicatorRule, examples: Examples, current: Definition, settings: Settings
) -> tuple[IndicatorRule, str] | None:
    values = (
        examples.raw[rule.indicator_id].to_numpy(dtype=float)
        if rule.indicator_id in examples.raw
        else np.full(len(examples), np.nan)
    )
    higher_is_better = current.higher_is_better.get(rule.indicator_id, True)
    fitted = fit_thresholds(values, examples.churned, higher_is_better, settings.min_values)
    if fitted is None:
        return None
    return replace(rule, scoring_method="linear", poor_value=fitted[0], good_value=fitted[1]), fitted[2]


def _pooled_rules(
    current: Definition, examples: Examples, settings: Settings
) -> dict[str, tuple[IndicatorRule, str]]:
    """Per indicator used anywhere: its rule with thresholds fitted on all examples (or the
    current rule of the first profile using it, when they are too few), and how."""
    pooled: dict[str, tuple[IndicatorRule, str]] = {}
    for rule in sorted(current.rules, key=lambda r: (r.indicator_id, r.profile_id)):
        if rule.indicator_id not in pooled:
            fitted = _fitted(rule, examples, current, settings)
            pooled[rule.indicator_id] = fitted or (rule, CURRENT)
    return pooled


CURRENT = "current (too few values to move it)"


def _threshold_rules(
    current: Definition,
    profile_id: str,
    examples: Examples | None,
    settings: Settings,
    pooled: dict[str, tuple[IndicatorRule, str]],
) -> tuple[list[IndicatorRule], dict[str, str]]:
    """The profile's rules with poor / good values fitted on its own `examples`, else pooled."""
    rules, how = [], {}
    for rule in current.rules_of(profile_id):
        fitted = _fitted(rule, examples, current, settings) if examples is not None else None
        if fitted is None and pooled[rule.indicator_id][1] == CURRENT:
            fitted = (rule, CURRENT)
        elif fitted is None:
            pooled_rule, pooled_how = pooled[rule.indicator_id]
            fitted = (
                replace(rule, scoring_method=pooled_rule.scoring_method, poor_value=pooled_rule.poor_value,
                        good_value=pooled_rule.good_value),
                "pooled: " + pooled_how,
            )  # fmt: skip
        rules.append(fitted[0])
        how[rule.indicator_id] = fitted[1]
    return rules, how


def _restricted(shares: dict[str, float], rules: list[IndicatorRule]) -> dict[str, float]:
    """The pooled shares of a profile's own indicators, summing to 1 again."""
    mine = {rule.indicator_id: shares.get(rule.indicator_id, 0.0) for rule in rules}
    total = sum(mine.values())
    return {key: value / total for key, value in mine.items()} if total > 0 else {}


def _profile_weights(definition: Definition, profile_id: str) -> dict[str, float]:
    return {pillar: w for (pid, pillar), w in definition.pillar_weights.items() if pid == profile_id}


def calibrate_definition(
    current: Definition, train: Examples, settings: Settings
) -> tuple[Definition, list[ProfileFit]]:
    examples = train.at(settings.horizon_days)
    pooled_rules = _pooled_rules(current, examples, settings)
    # The pooled fit: every indicator any profile uses, on all examples.
    union = [pooled_rules[indicator][0] for indicator in sorted(pooled_rules)]
    pooled_shares, pooled_penalty = fit_shares(examples, union, settings)
    candidate, fits = current, []
    for profile_id in current.profiles:
        candidate, fit = _calibrate_profile(
            candidate, current, profile_id, examples, settings, pooled_rules, (pooled_shares, pooled_penalty)
        )
        fits.append(fit)
    return candidate, fits


def _calibrate_profile(
    candidate: Definition,
    current: Definition,
    profile_id: str,
    examples: Examples,
    settings: Settings,
    pooled_rules: dict[str, tuple[IndicatorRule, str]],
    pooled: tuple[dict[str, float], float | None],
) -> tuple[Definition, ProfileFit]:
    own = examples.where(examples.profiles == profile_id)
    churned, retained = own.counts()
    enough = min(churned, retained) >= settings.min_profile_per_class
    judged_on = own if min(churned, retained) >= 10 else examples
    fit = ProfileFit(profile_id, "profile" if enough else "pooled", churned, retained)
    if enough:
        rules, fit.thresholds = _threshold_rules(current, profile_id, own, settings, pooled_rules)
        shares, fit.penalty = fit_shares(own, rules, settings)
    else:
        rules, fit.thresholds = _threshold_rules(current, profile_id, None, settings, pooled_rules)
        shares, fit.penalty = _restricted(pooled[0], rules), pooled[1]
    if not shares:
        fit.method = "unchanged"
        return candidate, fit
    new_rules, pillar_weights = rules_from_shares(rules, shares, settings.min_weight_percent)
    trial = candidate.with_profile(current.profiles[profile_id], new_rules, pillar_weights)
    trial = choose_missing_policies(trial, profile_id, judged_on, settings.min_missing)
    if enough:
        # The weights again, with missing data scored by the policies just chosen.
        policies = {rule.indicator_id: rule.missing_policy for rule in trial.rules_of(profile_id)}
        rules = [replace(r, missing_policy=policies.get(r.indicator_id, r.missing_policy)) for r in rules]
        refit, _ = fit_shares(own, rules, settings)
        if refit:
            shares = refit
            new_rules, pillar_weights = rules_from_shares(rules, shares, settings.min_weight_percent)
            trial = candidate.with_profile(current.profiles[profile_id], new_rules, pillar_weights)
    fit.shares = shares
    banded_on = own if len(own) >= 50 else examples
    scores = score_profile(trial, profile_id, banded_on.raw).health_score
    cut_points = band_thresholds(scores, settings.poor_share, settings.good_share)
    if cut_points is not None:
        profile = replace(
            trial.profiles[profile_id], poor_threshold=cut_points[0], good_threshold=cut_points[1]
        )
        trial = trial.with_profile(profile, trial.rules_of(profile_id), _profile_weights(trial, profile_id))
    fit.train_auc_current = churn_auc(
        judged_on.churned, score_profile(current, profile_id, judged_on.raw).health_score
    )
    fit.train_auc_candidate = churn_auc(
        judged_on.churned, score_profile(trial, profile_id, judged_on.raw).health_score
    )
    return trial, fit
