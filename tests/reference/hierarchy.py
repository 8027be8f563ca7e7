"""The marts contract's hierarchy semantics in plain Python: which parent links count, the
subtrees, the band rules of seed hierarchy_band_rules, weighted means and the quadrant of
seed health_dimensions. Shared by the account, product and override roll-up tests. From them,
`reference_rollup` (tests/test_hierarchy.py) reads every row of fct_hierarchy_health_daily:
shares, scores, band, 30-day change and top_reasons, dimension means and quadrant."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable

from reference.staging import SEEDS

BANDS = ("good", "average", "poor")
METHODS = ("account_count", "contract_value")
CHANGE_DAYS = 30  # score_change_30d: the change since the day this many days earlier
# Account reasons that say nothing about a change: not quoted in a node's top_reasons.
FIXED_ACCOUNT_REASONS = ("no material change", "no score 30 days earlier")

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def clean_links(parents: dict[str, str | None]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Effective parent per usable account, and the issue of every ignored link."""
    issues: dict[str, str] = {}
    candidate: dict[str, str | None] = {}
    for node, parent in parents.items():
        if parent is None:
            candidate[node] = None
        elif parent == node:
            issues[node] = "self_parent"
            candidate[node] = None
        elif parent not in parents:
            issues[node] = "missing_parent"
            candidate[node] = None
        else:
            candidate[node] = parent
    for node in parents:
        seen = {node}
        current = candidate[node]
        while current is not None and current not in seen:
            seen.add(current)
            current = candidate[current]
        if current == node:
            issues[node] = "cycle"
    effective = {node: (None if node in issues else candidate[node]) for node in parents}
    return effective, issues


def subtrees(effective: dict[str, str | None]) -> dict[str, list[str]]:
    """node -> the accounts of its subtree (itself included)."""
    result: dict[str, list[str]] = defaultdict(list)
    for node in effective:
        current: str | None = node
        while current is not None:
            result[current].append(node)
            current = effective[current]
    return result


def depths(effective: dict[str, str | None]) -> dict[str, tuple[str, int]]:
    """node -> (its root, its depth)."""
    result = {}
    for node in effective:
        depth, current = 0, node
        while effective[current] is not None:
            current = effective[current]  # type: ignore[assignment]
            depth += 1
        result[node] = (current, depth)
    return result


def read_band_rules() -> list[tuple[int, str, list[tuple[str, str, float]]]]:
    with open(SEEDS / "definitions" / "hierarchy_band_rules.csv") as handle:
        rows = list(csv.DictReader(handle))
    rules: dict[int, tuple[str, list]] = {}
    for row in rows:
        band, conditions = rules.setdefault(int(row["rule_priority"]), (row["health_band"], []))
        if row["share_name"]:
            conditions.append((row["share_name"], row["comparison"], float(row["threshold"])))
    return [(priority, *rules[priority]) for priority in sorted(rules)]


def node_band(figures: dict, rules) -> str | None:
    if not figures["total_weight"] > 0:
        return "insufficient_data"
    for _, band, conditions in rules:
        if all(COMPARE[op](round(figures[share], 9), limit) for share, op, limit in conditions):
            return band
    return None


def read_dimension_thresholds() -> dict[str, float]:
    with open(SEEDS / "definitions" / "health_dimensions.csv") as handle:
        return {row["dimension"]: float(row["strong_threshold"]) for row in csv.DictReader(handle)}


def quadrant(relationship: float | None, impact: float | None, thresholds: dict[str, float]) -> str | None:
    if relationship is None or impact is None:
        return None
    strong = round(relationship, 9) >= thresholds["relationship"]
    high = round(impact, 9) >= thresholds["impact"]
    return f"{'strong' if strong else 'weak'}_relationship_{'high' if high else 'low'}_impact"


def weighted_mean(values: Iterable[tuple[float | None, float]]) -> float | None:
    """The roll-up's mean of one measure: over members with a value, by their weights (null
    when their weight is 0), clamped to the values' range as the SQL macro does."""
    known = [(value, weight) for value, weight in values if value is not None]
    weight = sum(w for _, w in known)
    if not known or weight == 0:
        return None
    mean = sum(v * w for v, w in known) / weight
    return min(max(mean, min(v for v, _ in known)), max(v for v, _ in known))


def figures(members: list[tuple[str, float | None, str, float]]) -> dict:
    """Roll-up figures of one node: members are (account, score, band, weight) with band in
    good/average/poor. Shares and scores are null without weight."""
    total = sum(weight for *_, weight in members)
    item: dict = {"member_count": len(members), "total_weight": total}
    if total > 0:
        for band in BANDS:
            item[f"{band}_share"] = sum(w for _, _, b, w in members if b == band) / total
        item["health_score"] = weighted_mean((s, w) for _, s, _, w in members)
        scores = [s for _, s, _, _ in members if s is not None]
        item["worst_score"] = min(scores) if scores else None
    else:
        for key in ("good_share", "average_share", "poor_share", "health_score", "worst_score"):
            item[key] = None
    return item


def whole(value: float) -> str:
    """SQL round(x, 0) (half away from zero) of a 0-100 score, as text."""
    return str(int(math.floor(value + 0.5)))


def member_text(name: str, now: float | None, before: float | None, reason: str | None) -> str:
    if before is None:
        text = f"{name} joined at {whole(now)}"
    elif now is None:
        text = f"{name} no longer counts (was {whole(before)})"
    elif math.floor(now + 0.5) < math.floor(before + 0.5):
        text = f"{name} fell from {whole(before)} to {whole(now)}"
    elif math.floor(now + 0.5) > math.floor(before + 0.5):
        text = f"{name} rose from {whole(before)} to {whole(now)}"
    else:
        text = f"{name} held at {whole(now)}"
    if now is not None and before is not None and reason is not None:
        text += f": {reason}"
    return text


def reference_rollup(
    hierarchy_on,
    scores: list[tuple],
    account_reasons: dict,
    names: dict[str, str],
    dimensions: dict[tuple, tuple] | None = None,
    *,
    start: dt.date,
    end: dt.date,
) -> dict[tuple, dict]:
    """Expected mart rows keyed by (account_id, as_of_date, rollup_method), for the days
    from `start` to `end`.

    hierarchy_on(day) gives the {account: crm parent} of the accounts in the hierarchy on
    that day. `scores` are (account, day, score, band, arr): the effective values the
    roll-up reads. With `dimensions` ({(account, day): (relationship, impact)}) the
    dimension means and the quadrant are expected too.
    """
    rules = read_band_rules()
    thresholds = read_dimension_thresholds()
    scored = {(a, d): (s, b, arr) for a, d, s, b, arr in scores}

    def node_figures(day: dt.date, method: str) -> dict[str, dict]:
        effective, _ = clean_links(hierarchy_on(day))
        result = {}
        for node, subtree in subtrees(effective).items():
            members = []
            for account in subtree:
                row = scored.get((account, day))
                if row and row[1] in BANDS:
                    weight = 1.0 if method == "account_count" else row[2]
                    members.append((account, row[0], row[1], weight))
            total = sum(weight for *_, weight in members)
            item = {"member_count": len(members), "total_weight": total, "members": members}
            if total > 0:
                for band in BANDS:
                    share = sum(w for _, _, b, w in members if b == band) / total
                    item[f"{band}_share"] = share
                item["health_score"] = sum(s * w for _, s, _, w in members) / total
                item["worst_score"] = min(s for _, s, _, _ in members)
            else:
                for key in ("good_share", "average_share", "poor_share", "health_score", "worst_score"):
                    item[key] = None
            if dimensions is not None:
                dims = [(dimensions.get((account, day), (None, None)), w) for account, _, _, w in members]
                item["dimension_relationship_score"] = weighted_mean([(d[0], w) for d, w in dims])
                item["dimension_impact_score"] = weighted_mean([(d[1], w) for d, w in dims])
            result[node] = item
        return result

    expected = {}
    day = start
    while day <= end:
        prior_day = day - dt.timedelta(days=CHANGE_DAYS)
        for method in METHODS:
            now_figures = node_figures(day, method)
            before_figures = node_figures(prior_day, method)
            for node, now in now_figures.items():
                before = before_figures.get(node)
                row = {key: now[key] for key in now if key != "members"}
                row["health_band"] = node_band(now, rules)
                if dimensions is not None:
                    row["health_quadrant"] = quadrant(
                        now["dimension_relationship_score"], now["dimension_impact_score"], thresholds
                    )
                has_before = before is not None and before["total_weight"] > 0
                row["score_change_30d"] = (
                    now["health_score"] - before["health_score"]
                    if now["health_score"] is not None
                    and before is not None
                    and before["health_score"] is not None
                    else None
                )
                if now["member_count"] == 0:
                    row["top_reasons"] = "no scored member"
                elif now["total_weight"] == 0:
                    row["top_reasons"] = "no scored member with contract value"
                elif not has_before:
                    row["top_reasons"] = "no score 30 days earlier"
                else:
                    base = before["health_score"]
                    parts: dict[str, list] = defaultdict(lambda: [0.0, None, None])
                    for account, score, _, weight in now["members"]:
                        parts[account][0] += weight * (score - base) / now["total_weight"]
                        parts[account][1] = score
                    for account, score, _, weight in before["members"]:
                        parts[account][0] -= weight * (score - base) / before["total_weight"]
                        parts[account][2] = score
                    ranked = sorted(
                        (item for item in parts.items() if abs(item[1][0]) >= 0.5),
                        key=lambda item: (abs(item[1][0]), item[0]),
                        reverse=True,
                    )[:3]
                    texts = []
                    for account, (_, score_now, score_before) in ranked:
                        reason = account_reasons.get((account, day))
                        if reason in FIXED_ACCOUNT_REASONS:
                            reason = None
                        elif reason is not None:
                            reason = reason.split("; ")[0]
                        texts.append(member_text(names[account], score_now, score_before, reason))
                    row["top_reasons"] = "; ".join(texts) if texts else "no material change"
                expected[(node, day, method)] = row
        day += dt.timedelta(days=1)
    return expected
