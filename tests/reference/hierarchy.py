"""The marts contract's hierarchy semantics in plain Python: which parent links count, the
subtrees, the band rules of seed hierarchy_band_rules, weighted means and the quadrant of
seed health_dimensions. Shared by the account, product and override roll-up tests."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable

from reference.staging import SEEDS

BANDS = ("good", "average", "poor")
METHODS = ("account_count", "contract_value")

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
