"""The marts contract's scoring semantics (steps 2-7) in plain Python, from the CSV files of
the definition seeds: the score, coverage and band of any scored subject (an account or a
product module of an account) under a profile, from its indicators' raw values."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from reference.staging import read_seed


def indicator_score(raw: float | None, method: str, poor: float, good: float, policy: str) -> float | None:
    if raw is None:
        return {"ignore": None, "neutral": 50.0, "poor": 0.0}[policy]
    if method == "linear":
        return min(100.0, max(0.0, 100.0 * (raw - poor) / (good - poor)))
    higher_is_better = good > poor
    if (raw >= good) if higher_is_better else (raw <= good):
        return 100.0
    if (raw <= poor) if higher_is_better else (raw >= poor):
        return 0.0
    return 50.0


@dataclass(frozen=True)
class Scored:
    health_score: float | None
    coverage: float
    health_band: str
    indicator_scores: dict[str, float | None]
    pillar_scores: dict[str, float | None]


class Definitions:
    """The definition seeds, read once."""

    def __init__(self) -> None:
        self.profiles = {row["profile_id"]: row for row in read_seed("definitions", "health_profiles")}
        self.indicators: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in read_seed("definitions", "health_profile_indicators"):
            self.indicators[row["profile_id"]].append(row)
        self.pillar_weights = {
            (row["profile_id"], row["pillar"]): float(row["weight"])
            for row in read_seed("definitions", "health_pillar_weights")
        }
        self.product_rules = sorted(
            read_seed("definitions", "product_profile_rules"), key=lambda row: int(row["priority"])
        )

    def product_profile(self, product_id: str, customer_tier: str | None) -> str | None:
        for rule in self.product_rules:
            if rule["product_id"] in ("*", product_id) and rule["customer_tier"] in ("*", customer_tier):
                return rule["profile_id"]
        return None

    def score(self, profile_id: str, raw_values: dict[str, float | None]) -> Scored:
        rows = self.indicators[profile_id]
        pillars = sorted({row["pillar"] for row in rows})
        pillar_total = sum(self.pillar_weights[(profile_id, p)] for p in pillars)
        in_pillar: dict[str, float] = defaultdict(float)
        for row in rows:
            in_pillar[row["pillar"]] += float(row["weight"])
        scores: dict[str, float | None] = {}
        nominal: dict[str, float] = {}
        for row in rows:
            raw = raw_values.get(row["indicator_id"])
            raw = None if raw is None or (isinstance(raw, float) and math.isnan(raw)) else raw
            scores[row["indicator_id"]] = indicator_score(
                raw,
                row["scoring_method"],
                float(row["poor_value"]),
                float(row["good_value"]),
                row["missing_policy"],
            )
            nominal[row["indicator_id"]] = (
                self.pillar_weights[(profile_id, row["pillar"])] / pillar_total
                * float(row["weight"]) / in_pillar[row["pillar"]]
            )  # fmt: skip
        pillar_scores: dict[str, float | None] = {}
        for pillar in pillars:
            counted = [r for r in rows if r["pillar"] == pillar and scores[r["indicator_id"]] is not None]
            weight = sum(float(r["weight"]) for r in counted)
            pillar_scores[pillar] = (
                sum(float(r["weight"]) * scores[r["indicator_id"]] for r in counted) / weight  # type: ignore[operator]
                if weight > 0
                else None
            )
        scored_pillars = [p for p in pillars if pillar_scores[p] is not None]
        weight = sum(self.pillar_weights[(profile_id, p)] for p in scored_pillars)
        health = (
            sum(self.pillar_weights[(profile_id, p)] * pillar_scores[p] for p in scored_pillars) / weight  # type: ignore[operator]
            if weight > 0
            else None
        )
        coverage = round(
            sum(nominal[r["indicator_id"]] for r in rows if raw_values.get(r["indicator_id"]) is not None
                and not (isinstance(raw_values[r["indicator_id"]], float)
                         and math.isnan(raw_values[r["indicator_id"]]))),
            9,
        )  # fmt: skip
        profile = self.profiles[profile_id]
        if coverage < float(profile["min_coverage"]) or health is None:
            band = "insufficient_data"
        elif health >= float(profile["good_threshold"]):
            band = "good"
        elif health < float(profile["poor_threshold"]):
            band = "poor"
        else:
            band = "average"
        return Scored(health, coverage, band, scores, pillar_scores)
