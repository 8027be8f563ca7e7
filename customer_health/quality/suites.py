"""The Great Expectations suites: only what dbt cannot say.

One owner per rule. Row-level rules (keys, ranges, enumerations, uniqueness, relationships)
belong to dbt: model contracts and data tests, which fail the build before anything is
published. The suites here check what a row-level test cannot:

- `raw__load_profile`, one row per raw source table (computed in SQL, never by pulling
  raw rows into pandas): the contract's columns are all present (schema drift), freshness
  of `_loaded_at` against the source's dbt freshness `error_after`, no load time in the
  future, and the volume change against the previous validated load.
- `marts__<daily mart>`, on the run's window (its distinct as_of_date x definition_version
  pairs with their row counts, aggregated in SQL): every day of the window was written and
  no other, and one definition_version stamped by the run.
- `marts__columns`, one row per column of every public mart: no personal-data column
  (columns tagged `meta: {contains_pii: true}` in the dbt YAML, or named like one).

The facts come from the dbt manifest (sources, freshness, PII tags, the `daily` tag).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from customer_health import manifest as dbt_manifest

RAW_DATASOURCE = "raw"
MARTS_DATASOURCE = "marts"
MART_SCHEMA = "marts"
LOAD_PROFILE_SUITE = "raw__load_profile"
COLUMNS_SUITE = "marts__columns"
# Volume change versus the previous load: raw tables only grow (the loader appends and
# re-delivers); a shrink of more than 10 % or a load more than 3x the last is suspicious.
VOLUME_MIN_RATIO = 0.9
VOLUME_MAX_RATIO = 3.0
# Names that are personal data whatever the YAML says.
PII_NAME_PATTERN = (
    r"(^|_)(e_?mail|first_name|last_name|full_name|phone|phone_number|ssn|birth_?date|ip_address)($|_)"
)


class E(NamedTuple):
    """One expectation: its GX class name and arguments."""

    kind: str
    kwargs: dict[str, Any]


def _e(kind: str, **kwargs: Any) -> E:
    return E(kind, kwargs)


def between(column: str, low: Any = None, high: Any = None, **kw: Any) -> E:
    args: dict[str, Any] = {"column": column, **kw}
    if low is not None:
        args["min_value"] = low
    if high is not None:
        args["max_value"] = high
    return _e("ExpectColumnValuesToBeBetween", **args)


def param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def load_profile_suite() -> list[E]:
    return [
        between("row_count", 1, notes="Every raw table has rows."),
        between("missing_columns", 0, 0, notes="Every column of the raw contract is present."),
        _e(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="max_age_hours",
            column_B="hours_since_last_load",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            notes="Freshness: the newest _loaded_at is younger than the source's dbt freshness error_after.",
        ),
        between("future_rows", 0, 0, notes="No load time more than an hour after the project's clock."),
        between(
            "row_count_ratio",
            VOLUME_MIN_RATIO,
            VOLUME_MAX_RATIO,
            notes="Volume change versus the previous validated load (null on the first load).",
        ),
    ]


def window_suite() -> list[E]:
    """A daily mart's batch is the run's window: every day written, no other; one version."""
    return [
        _e("ExpectTableRowCountToBeBetween", min_value=1, notes="The run wrote rows."),
        between("as_of_date", param("window_start"), param("window_end")),
        _e(
            "ExpectColumnUniqueValueCountToBeBetween",
            column="as_of_date",
            min_value=param("window_days"),
            max_value=param("window_days"),
            notes="Every day of the window was written.",
        ),
        _e(
            "ExpectColumnUniqueValueCountToBeBetween",
            column="definition_version",
            min_value=1,
            max_value=1,
            notes="One run computes its whole window with one health definition.",
        ),
    ]


def columns_suite(pii_names: Iterable[str]) -> list[E]:
    return [
        _e(
            "ExpectColumnValuesToNotBeInSet",
            column="column_name",
            value_set=sorted(pii_names),
            notes="No public mart exposes a column tagged meta.contains_pii in the dbt YAML.",
        ),
        _e(
            "ExpectColumnValuesToNotMatchRegex",
            column="column_name",
            regex=PII_NAME_PATTERN,
            notes="Nor a column whose name says it is personal data.",
        ),
    ]


@dataclass(frozen=True)
class Suite:
    name: str
    datasource: str
    asset: str
    expectations: list[E]


def mart_suite_name(table: str) -> str:
    return f"marts__{table}"


def daily_marts(manifest: Mapping[str, Any]) -> list[str]:
    """The public marts of daily grain (tag `daily`, schema marts)."""
    return sorted(
        node["name"]
        for node in dbt_manifest.models_with_tag("daily", manifest)
        if node.get("config", {}).get("schema") == MART_SCHEMA
    )


def all_suites(manifest: Mapping[str, Any]) -> dict[str, Suite]:
    """suite name -> Suite, everything the GX project holds."""
    suites = [Suite(LOAD_PROFILE_SUITE, RAW_DATASOURCE, "load_profile", load_profile_suite())]
    suites += [
        Suite(mart_suite_name(table), MARTS_DATASOURCE, table, window_suite())
        for table in daily_marts(manifest)
    ]
    suites.append(
        Suite(
            COLUMNS_SUITE, MARTS_DATASOURCE, "columns", columns_suite(dbt_manifest.pii_column_names(manifest))
        )
    )
    return {suite.name: suite for suite in suites}
