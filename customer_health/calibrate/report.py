"""Judge current and candidate on held-out outcomes and write report.json / report.md."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from customer_health.calibrate.dataset import Examples, Split
from customer_health.calibrate.definition import Definition, number
from customer_health.calibrate.fit import ProfileFit
from customer_health.calibrate.scoring import BANDS, churn_auc, nominal_weights, score

RULE_COLUMNS = ("weight", "scoring_method", "poor_value", "good_value", "missing_policy")


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)


def compare(current: Definition, candidate: Definition, examples: Examples, horizons: Sequence[int]) -> dict:
    """AUC with its counts per horizon, and band rates per definition, on the same rows."""
    aucs, bands = [], []
    for horizon in horizons:
        rows = examples.at(horizon)
        if not len(rows):
            continue
        scores = {
            name: score(d, rows.profiles, rows.raw)
            for name, d in (("current", current), ("candidate", candidate))
        }
        both = ~np.isnan(scores["current"].health_score) & ~np.isnan(scores["candidate"].health_score)
        churned = rows.churned[both]
        aucs.append({
            "horizon_days": horizon,
            "churned": int(churned.sum()),
            "retained": int((~churned).sum()),
            "current_auc": _round(churn_auc(churned, scores["current"].health_score[both])),
            "candidate_auc": _round(churn_auc(churned, scores["candidate"].health_score[both])),
        })  # fmt: skip
        bands.append(
            {"horizon_days": horizon, **{name: band_rates(rows, s.band) for name, s in scores.items()}}
        )
    return {"auc": aucs, "bands": bands}


def band_rates(rows: Examples, band: np.ndarray) -> list[dict]:
    churned = rows.churned
    contracted = rows.frame["is_contracted"].to_numpy(dtype=bool)
    overall = churned.mean() if len(rows) else 0.0
    out = []
    for name in (*BANDS, "all"):
        mask = np.ones(len(rows), dtype=bool) if name == "all" else band == name
        n = int(mask.sum())
        if not n:
            continue
        rate = float(churned[mask].mean())
        out.append({
            "band": name,
            "count": n,
            "share": _round(n / len(rows)),
            "churn_rate": _round(rate),
            "contraction_rate": _round(float(contracted[mask].mean())),
            "lift": _round(rate / overall) if overall > 0 else None,
        })  # fmt: skip
    return out


def changes(current: Definition, candidate: Definition) -> list[dict]:
    """Every threshold, pillar weight and indicator rule that differs, old -> new."""
    out: list[dict] = []

    def add(seed: str, key: str, column: str, old: object, new: object) -> None:
        if old != new:
            out.append({"seed": seed, "row": key, "column": column, "old": old, "new": new})

    for pid, profile in current.profiles.items():
        new = candidate.profiles[pid]
        for column in ("poor_threshold", "good_threshold", "min_coverage"):
            add(
                "health_profiles",
                pid,
                column,
                number(getattr(profile, column), 4),
                number(getattr(new, column), 4),
            )
    for key in sorted(set(current.pillar_weights) | set(candidate.pillar_weights)):
        old, new = current.pillar_weights.get(key), candidate.pillar_weights.get(key)
        add("health_pillar_weights", f"{key[0]}.{key[1]}", "weight",
            None if old is None else number(old, 1), None if new is None else number(new, 1))  # fmt: skip
    for pid in current.profiles:
        old_share, new_share = nominal_weights(current, pid), nominal_weights(candidate, pid)
        indicators = sorted(
            {r.indicator_id for r in current.rules_of(pid)}
            | {r.indicator_id for r in candidate.rules_of(pid)}
        )
        for indicator in indicators:
            old, new = current.rule(pid, indicator), candidate.rule(pid, indicator)
            key = f"{pid}.{indicator}"
            shares = (
                f"{100 * old_share.get(indicator, 0.0):.1f}%",
                f"{100 * new_share.get(indicator, 0.0):.1f}%",
            )
            add("health_profile_indicators", key, "nominal_share", *shares)
            if old is None or new is None:
                add(
                    "health_profile_indicators",
                    key,
                    "row",
                    "present" if old else "absent",
                    "present" if new else "removed",
                )
                continue
            for column in RULE_COLUMNS:
                a, b = getattr(old, column), getattr(new, column)
                if isinstance(a, float):
                    a, b = number(a, 4), number(b, 4)
                add("health_profile_indicators", key, column, a, b)
    return out


def build(
    *,
    status: str,
    settings: Mapping[str, Any],
    split: Split | None = None,
    current: Definition | None = None,
    candidate: Definition | None = None,
    fits: Sequence[ProfileFit] = (),
    evaluation: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    extras: Mapping[str, Any] | None = None,
    message: str = "",
) -> dict:
    report: dict[str, Any] = {"status": status, "message": message, "settings": dict(settings)}
    if split is not None:
        horizon = settings["horizon_days"]
        train, held_out = split.train.at(horizon), split.held_out.at(horizon)
        report["data"] = {
            "scored_days": [str(split.first_day), str(split.last_day)],
            "train_until": str(split.train_until),
            "grace_days": split.grace_days,
            "training": _describe(train),
            "held_out": _describe(held_out),
            "outcomes_in_neither": split.pending,
        }
    if current is not None and candidate is not None:
        report["profiles"] = [asdict(fit) for fit in fits]
        report["changes"] = changes(current, candidate)
    if training is not None:
        report["training_fit"] = dict(training)
    if evaluation is not None:
        report["held_out_evaluation"] = dict(evaluation)
    report.update(dict(extras or {}))
    return report


def _describe(rows: Examples) -> dict:
    churned, retained = rows.counts()
    dates = rows.frame["outcome_date"]
    return {
        "renewal_points": len(rows),
        "churned": churned,
        "retained": retained,
        "first_outcome": str(dates.min()) if len(rows) else None,
        "last_outcome": str(dates.max()) if len(rows) else None,
    }


def write(report: Mapping[str, Any], output_dir: Path) -> tuple[Path, Path]:
    from customer_health.calibrate.markdown import render

    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = output_dir / "report.json", output_dir / "report.md"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render(report), encoding="utf-8")
    return json_path, md_path
