"""The definition_version of the health definition seeds, computed from the CSV files.

The warehouse stamps every score row with `definition_version`, an md5 over the content of
the definition seeds (model int_health_definition_version). The Dagster sensor that
recomputes history after a definition change needs the version of the seeds *as they are in
the repository now*, without a warehouse and without running dbt, so this module computes
exactly the same hash from the CSV files:

- the seeds, their part and their columns come from the dbt manifest, where the seed YAML
  declares them (config meta `health_definition: indicators|scoring`; columns in YAML
  order, less those with meta `documentation_only`), exactly as the macro
  `health_definition_seeds()` reads them from `graph`: sorted by seed name;
- each value is parsed the way DuckDB loads the seed (dbt-duckdb copies the CSV file into a
  table typed by the seed's `column_types`) and rendered the way DuckDB casts it back to text:
  integers plain, decimal(18,4) with four decimals ('70.0000', rounded half away from zero),
  booleans 'true'/'false', text as is, nulls and empty fields as '';
- a row is its values joined by '|'; rows are sorted (code-point order, which is DuckDB's
  binary collation) and joined by '~'; a seed is `name:rows`; seeds are joined by '#' in
  name order (a seed without rows drops out, as NULL does in SQL); md5 hex of it all.
  The version of one part (indicators, scoring) is the same over that part's seeds.

tests/test_definition_version.py proves the equality against the SQL model.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from customer_health import config
from customer_health.manifest import load_manifest

DEFINITION_META = "health_definition"
PARTS = ("indicators", "scoring")

_TRUE_TEXTS = {"true", "t", "1", "yes", "y"}
_FALSE_TEXTS = {"false", "f", "0", "no", "n"}
_DECIMAL_TYPE = re.compile(r"^\s*(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$", re.I)
_INTEGER_TYPES = {"integer", "int", "int4", "bigint", "int8", "smallint", "int2", "tinyint"}
_BOOLEAN_TYPES = {"boolean", "bool"}
_TEXT_TYPES = {"varchar", "text", "string"}


@dataclass(frozen=True)
class DefinitionSeed:
    """One seed that counts towards the definition_version, as its YAML declares it."""

    name: str
    part: str
    columns: tuple[str, ...]
    column_types: Mapping[str, str]


def definition_seeds(manifest: Mapping[str, Any] | None = None) -> list[DefinitionSeed]:
    """The seeds with config meta `health_definition`, sorted by name (the manifest's facts)."""
    manifest = manifest if manifest is not None else load_manifest()
    seeds = []
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "seed":
            continue
        part = (node.get("config", {}).get("meta") or {}).get(DEFINITION_META)
        if not part:
            continue
        if part not in PARTS:
            raise ValueError(
                f"seed {node['name']}: meta {DEFINITION_META} must be one of {PARTS}, got {part!r}"
            )
        columns = tuple(
            name
            for name, column in node.get("columns", {}).items()
            if not (column.get("meta") or {}).get("documentation_only")
        )
        types = {str(k): str(v) for k, v in (node["config"].get("column_types") or {}).items()}
        seeds.append(DefinitionSeed(node["name"], part, columns, types))
    return sorted(seeds, key=lambda seed: seed.name)


def _render(value: str, sql_type: str, where: str) -> str:
    """The text DuckDB gives `cast(<value loaded as sql_type> as varchar)`, '' for null."""
    if value == "":
        return ""
    kind = sql_type.strip().lower()
    try:
        if kind in _TEXT_TYPES:
            return value
        if kind in _INTEGER_TYPES:
            return str(int(Decimal(value.strip()).to_integral_value(rounding=ROUND_HALF_UP)))
        if kind in _BOOLEAN_TYPES:
            flag = value.strip().lower()
            if flag in _TRUE_TEXTS:
                return "true"
            if flag in _FALSE_TEXTS:
                return "false"
            raise ValueError(f"not a boolean: {value!r}")
        decimal = _DECIMAL_TYPE.match(kind)
        if decimal:
            scale = int(decimal.group(2))
            quantum = Decimal(1).scaleb(-scale)
            number = Decimal(value.strip()).quantize(quantum, rounding=ROUND_HALF_UP)
            if number == 0:
                number = abs(number)  # DuckDB prints 0.0000, never -0.0000
            return format(number, "f")
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"{where}: cannot read {value!r} as {sql_type}: {error}") from error
    raise ValueError(
        f"{where}: column type {sql_type!r} is not supported by definition_version(); "
        "set a column_types entry (varchar, integer, boolean or decimal(p,s)) in the seed YAML"
    )


def _column_type(seed: DefinitionSeed, column: str) -> str:
    # Without column_types dbt would infer the type from the data ('0.50' -> double), whose
    # text is not stable across engines: the definition seeds must type every column.
    if column not in seed.column_types:
        raise ValueError(
            f"seed {seed.name}: column {column} has no column_types entry in the seed YAML; "
            "definition columns must be typed (varchar, integer, boolean or decimal(18,4))"
        )
    return seed.column_types[column]


def _seed_text(seeds_dir: Path, seed: DefinitionSeed) -> str | None:
    path = seeds_dir / f"{seed.name}.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in seed.columns if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}")
        rows = []
        for line_number, record in enumerate(reader, start=2):
            fields = [
                _render(
                    record[column] or "",
                    _column_type(seed, column),
                    f"{path.name} line {line_number} column {column}",
                )
                for column in seed.columns
            ]
            rows.append("|".join(fields))
    if not rows:
        return None
    return f"{seed.name}:" + "~".join(sorted(rows))


def definition_text(
    seeds_dir: Path | None = None, part: str | None = None, manifest: Mapping[str, Any] | None = None
) -> str:
    """The canonical text whose md5 is the definition_version (useful to diff versions)."""
    seeds_dir = Path(seeds_dir or config.seeds_dir())
    seeds = [seed for seed in definition_seeds(manifest) if part is None or seed.part == part]
    texts = [_seed_text(seeds_dir, seed) for seed in seeds]
    return "#".join(text for text in texts if text is not None)


def definition_version(
    seeds_dir: Path | None = None, part: str | None = None, manifest: Mapping[str, Any] | None = None
) -> str:
    """md5 hex of the definition seeds' content, equal to int_health_definition_version
    (`part`: only the `indicators` or the `scoring` seeds, as its <part>_definition_version)."""
    return hashlib.md5(definition_text(seeds_dir, part, manifest).encode("utf-8")).hexdigest()
