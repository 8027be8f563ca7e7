"""A health definition as the seeds hold it: read from a seeds directory, written to one.

Only the three scoring seeds change in a calibration (health_profiles: band thresholds;
health_pillar_weights; health_profile_indicators: weights, poor/good values, method,
missing policy). Every other CSV of the directory is copied unchanged, so that the
output directory is a complete definition: copying its CSV files over seeds/definitions/
adopts it. Columns keep their order; numbers are written the way a reviewer would type
them (no float noise; at most the four decimals of the seeds' decimal(18,4) columns).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

PROFILES = "health_profiles"
PILLAR_WEIGHTS = "health_pillar_weights"
PROFILE_INDICATORS = "health_profile_indicators"
INDICATORS = "health_indicators"
CHANGED_SEEDS = (PROFILES, PILLAR_WEIGHTS, PROFILE_INDICATORS)
METHODS = ("linear", "bands")
MISSING_POLICIES = ("ignore", "neutral", "poor")


@dataclass(frozen=True)
class Profile:
    profile_id: str
    profile_name: str
    is_default: bool
    good_threshold: float
    poor_threshold: float
    min_coverage: float


@dataclass(frozen=True)
class IndicatorRule:
    """One row of health_profile_indicators."""

    profile_id: str
    indicator_id: str
    pillar: str
    weight: float
    scoring_method: str
    poor_value: float
    good_value: float
    missing_policy: str


@dataclass(frozen=True)
class Definition:
    profiles: Mapping[str, Profile]
    rules: tuple[IndicatorRule, ...]
    pillar_weights: Mapping[tuple[str, str], float]
    #: indicator_id -> higher_is_better (the catalogue's natural direction)
    higher_is_better: Mapping[str, bool]
    labels: Mapping[str, str]

    def rules_of(self, profile_id: str) -> list[IndicatorRule]:
        return [rule for rule in self.rules if rule.profile_id == profile_id]

    def pillars_of(self, profile_id: str) -> list[str]:
        return sorted(pillar for profile, pillar in self.pillar_weights if profile == profile_id)

    def rule(self, profile_id: str, indicator_id: str) -> IndicatorRule | None:
        for rule in self.rules:
            if rule.profile_id == profile_id and rule.indicator_id == indicator_id:
                return rule
        return None

    def with_profile(
        self,
        profile: Profile,
        rules: Iterable[IndicatorRule],
        pillar_weights: Mapping[str, float],
    ) -> Definition:
        """This definition with one profile's thresholds, rules and pillar weights replaced."""
        pid = profile.profile_id
        kept = tuple(rule for rule in self.rules if rule.profile_id != pid)
        weights = {key: value for key, value in self.pillar_weights.items() if key[0] != pid}
        weights.update({(pid, pillar): weight for pillar, weight in pillar_weights.items()})
        return replace(
            self,
            profiles={**self.profiles, pid: profile},
            rules=kept + tuple(rules),
            pillar_weights=weights,
        )


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _bool(text: str) -> bool:
    return text.strip().lower() in {"true", "t", "1", "yes", "y"}


def read_definition(seeds_dir: Path) -> Definition:
    missing = [name for name in (*CHANGED_SEEDS, INDICATORS) if not (seeds_dir / f"{name}.csv").exists()]
    if missing:
        raise FileNotFoundError(f"{seeds_dir} is not a definition directory: no {', '.join(missing)}.csv")
    profiles = {
        row["profile_id"]: Profile(
            profile_id=row["profile_id"],
            profile_name=row["profile_name"],
            is_default=_bool(row["is_default"]),
            good_threshold=float(row["good_threshold"]),
            poor_threshold=float(row["poor_threshold"]),
            min_coverage=float(row["min_coverage"]),
        )
        for row in _read(seeds_dir / f"{PROFILES}.csv")
    }
    rules = tuple(
        IndicatorRule(
            profile_id=row["profile_id"],
            indicator_id=row["indicator_id"],
            pillar=row["pillar"],
            weight=float(row["weight"]),
            scoring_method=row["scoring_method"],
            poor_value=float(row["poor_value"]),
            good_value=float(row["good_value"]),
            missing_policy=row["missing_policy"],
        )
        for row in _read(seeds_dir / f"{PROFILE_INDICATORS}.csv")
    )
    pillar_weights = {
        (row["profile_id"], row["pillar"]): float(row["weight"])
        for row in _read(seeds_dir / f"{PILLAR_WEIGHTS}.csv")
    }
    catalogue = _read(seeds_dir / f"{INDICATORS}.csv")
    return Definition(
        profiles=profiles,
        rules=rules,
        pillar_weights=pillar_weights,
        higher_is_better={row["indicator_id"]: _bool(row["higher_is_better"]) for row in catalogue},
        labels={row["indicator_id"]: row["indicator_label"] for row in catalogue},
    )


def number(value: float, decimals: int = 4) -> str:
    """A seed number as a person writes it: rounded, without trailing zeros or exponent."""
    text = format(Decimal(str(round(float(value), decimals))).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _rows(definition: Definition) -> dict[str, list[dict[str, str]]]:
    return {
        PROFILES: [
            {
                "profile_id": p.profile_id,
                "profile_name": p.profile_name,
                "is_default": "true" if p.is_default else "false",
                "good_threshold": number(p.good_threshold, 1),
                "poor_threshold": number(p.poor_threshold, 1),
                "min_coverage": f"{p.min_coverage:.2f}",
            }
            for p in definition.profiles.values()
        ],
        PILLAR_WEIGHTS: [
            {"profile_id": profile, "pillar": pillar, "weight": number(weight, 1)}
            for (profile, pillar), weight in definition.pillar_weights.items()
        ],
        PROFILE_INDICATORS: [
            {
                "profile_id": r.profile_id,
                "indicator_id": r.indicator_id,
                "pillar": r.pillar,
                "weight": number(r.weight, 1),
                "scoring_method": r.scoring_method,
                "poor_value": number(r.poor_value),
                "good_value": number(r.good_value),
                "missing_policy": r.missing_policy,
            }
            for r in definition.rules
        ],
    }


def _profile_order(seeds_dir: Path) -> list[str]:
    return [row["profile_id"] for row in _read(seeds_dir / f"{PROFILES}.csv")]


def write_definition(definition: Definition, seeds_dir: Path, output_dir: Path) -> list[Path]:
    """Every CSV of `seeds_dir` into `output_dir`: the three scoring seeds from `definition`
    (rows in the seeds' profile order, then as the seeds list them), the rest copied."""
    output_dir.mkdir(parents=True, exist_ok=True)
    order = {pid: index for index, pid in enumerate(_profile_order(seeds_dir))}
    written = []
    rows = _rows(definition)
    for source in sorted(seeds_dir.glob("*.csv")):
        target = output_dir / source.name
        name = source.stem
        if name not in rows:
            shutil.copyfile(source, target)
            written.append(target)
            continue
        with source.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        original = _read(source)
        position = {
            tuple(row.get(key, "") for key in ("profile_id", "indicator_id", "pillar")): index
            for index, row in enumerate(original)
        }

        def sort_key(row: Mapping[str, str], position: Mapping[tuple[str, ...], int] = position) -> tuple:
            key = tuple(row.get(column, "") for column in ("profile_id", "indicator_id", "pillar"))
            return (order.get(row["profile_id"], len(order)), position.get(key, len(position)), key)

        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(sorted(rows[name], key=sort_key))
        written.append(target)
    return written
