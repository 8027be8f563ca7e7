"""Independent reference computation of the scoring semantics (marts contract, steps 2-7).

Reads the definition seeds from their CSV files and the raw indicator values from
fct_indicator_scores_daily, recomputes every indicator score, weight, pillar score,
health score, coverage and band in plain Python, and compares with the marts for every
row of a generated dataset.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "definitions"
PILLARS = ("engagement", "outcomes", "relationship", "strategic")
TOLERANCE = 1e-9


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def indicator_score(raw: float | None, method: str, poor: float, good: float, policy: str):
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


@pytest.fixture(scope="module")
def marts(built_warehouse):
    con = duckdb.connect(str(built_warehouse.path), read_only=True)
    indicators = con.execute(
        "select account_id, as_of_date, indicator_id, health_profile_id, pillar, raw_value, "
        "indicator_score, nominal_weight, effective_weight, is_missing "
        "from marts.fct_indicator_scores_daily"
    ).fetchall()
    health = con.execute(
        "select account_id, as_of_date, health_profile_id, health_score, health_band, coverage, "
        "engagement_score, outcomes_score, relationship_score, strategic_score "
        "from marts.fct_account_health_daily"
    ).fetchall()
    con.close()
    return indicators, health


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE)


def test_every_score_row_matches_the_reference(marts):
    indicator_rows, health_rows = marts
    assert len(health_rows) > 1000, "the generated dataset should give a meaningful number of rows"

    profiles = {row["profile_id"]: row for row in read_seed("health_profiles")}
    definitions = {
        (row["profile_id"], row["indicator_id"]): row for row in read_seed("health_profile_indicators")
    }
    pillar_weight = {
        (row["profile_id"], row["pillar"]): float(row["weight"]) for row in read_seed("health_pillar_weights")
    }

    # Nominal weights from the seeds alone.
    indicator_weight_per_pillar: dict[tuple[str, str], float] = defaultdict(float)
    for (profile, _), row in definitions.items():
        indicator_weight_per_pillar[(profile, row["pillar"])] += float(row["weight"])
    profile_pillar_total: dict[str, float] = defaultdict(float)
    for profile, pillar in indicator_weight_per_pillar:
        profile_pillar_total[profile] += pillar_weight[(profile, pillar)]

    by_account_day: dict[tuple, list] = defaultdict(list)
    for row in indicator_rows:
        by_account_day[(row[0], row[1])].append(row)

    expected_health = {}
    mismatches: list[str] = []
    for (account, day), rows in by_account_day.items():
        profile = rows[0][3]
        expected_ids = {ind for (p, ind) in definitions if p == profile}
        assert {r[2] for r in rows} == expected_ids, f"{account} {day}: indicator set differs"
        scores = {}
        for _, _, ind, _, pillar, raw, score, nominal, _effective, is_missing in rows:
            d = definitions[(profile, ind)]
            assert pillar == d["pillar"]
            assert is_missing == (raw is None)
            ref = indicator_score(
                raw,
                d["scoring_method"],
                float(d["poor_value"]),
                float(d["good_value"]),
                d["missing_policy"],
            )
            if not close(ref, score):
                mismatches.append(f"{account} {day} {ind}: score {score} != {ref}")
            ref_nominal = (
                pillar_weight[(profile, pillar)]
                / profile_pillar_total[profile]
                * float(d["weight"])
                / indicator_weight_per_pillar[(profile, pillar)]
            )
            if not close(ref_nominal, nominal):
                mismatches.append(f"{account} {day} {ind}: nominal {nominal} != {ref_nominal}")
            scores[ind] = (pillar, float(d["weight"]), ref, ref_nominal, raw is not None)

        pillar_scores = {}
        for pillar in PILLARS:
            members = [(w, s) for (p, w, s, _, _) in scores.values() if p == pillar and s is not None]
            total = sum(w for w, _ in members)
            pillar_scores[pillar] = sum(w * s for w, s in members) / total if total > 0 else None
        used = {p: pillar_weight[(profile, p)] for p, s in pillar_scores.items() if s is not None}
        used_total = sum(used.values())
        health = sum(w * pillar_scores[p] for p, w in used.items()) / used_total if used_total > 0 else None
        # Effective weights: pillar share among scored pillars x weight share within pillar.
        for _, _, ind, _, _, _, _, _, effective, _ in rows:
            p, w, s, _, _ = scores[ind]
            in_pillar = sum(w2 for (p2, w2, s2, _, _) in scores.values() if p2 == p and s2 is not None)
            ref_eff = (
                used[p] / used_total * w / in_pillar
                if s is not None and p in used and used_total > 0 and in_pillar > 0
                else 0.0
            )
            if not close(ref_eff, effective):
                mismatches.append(f"{account} {day} {ind}: effective {effective} != {ref_eff}")
        coverage = sum(nom for (_, _, _, nom, has_data) in scores.values() if has_data)
        prof = profiles[profile]
        if coverage + 1e-9 < float(prof["min_coverage"]) or health is None:
            band = "insufficient_data"
        elif health >= float(prof["good_threshold"]):
            band = "good"
        elif health < float(prof["poor_threshold"]):
            band = "poor"
        else:
            band = "average"
        expected_health[(account, day)] = (profile, health, band, coverage, pillar_scores)

    assert not mismatches, f"{len(mismatches)} indicator mismatches, e.g. {mismatches[:5]}"
    assert len(expected_health) == len(health_rows)
    for account, day, profile, score, band, coverage, *pillars in health_rows:
        ref_profile, ref_score, ref_band, ref_coverage, ref_pillars = expected_health[(account, day)]
        assert profile == ref_profile
        if not close(score, ref_score):
            mismatches.append(f"{account} {day}: health {score} != {ref_score}")
        if band != ref_band:
            mismatches.append(f"{account} {day}: band {band} != {ref_band}")
        if not close(coverage, ref_coverage):
            mismatches.append(f"{account} {day}: coverage {coverage} != {ref_coverage}")
        for pillar, value in zip(PILLARS, pillars, strict=True):
            if not close(value, ref_pillars[pillar]):
                mismatches.append(f"{account} {day}: {pillar} {value} != {ref_pillars[pillar]}")
    assert not mismatches, f"{len(mismatches)} health mismatches, e.g. {mismatches[:5]}"


def test_bands_are_all_represented(marts):
    _, health_rows = marts
    bands = {row[4] for row in health_rows}
    assert {"good", "average", "poor"} <= bands
