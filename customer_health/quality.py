"""Great Expectations checkpoints for the raw sources and the public marts.

    python -m customer_health.quality [--duckdb-path X] [--suite raw|marts|all]
        [--start-date D --end-date D] [--now TS] [--data-docs]

The GX project is the file context in `gx/` (suites, validation definitions and
checkpoints are committed; results and Data Docs go to `gx/uncommitted/`). This module
owns the suites: each run brings `gx/` in line with the definitions below (a file is
rewritten only when its content changes), then runs one checkpoint per table.

GX 1.x through duckdb-engine fails every SQL expectation (IndexError in metric
bundling), so the warehouse is read here with DuckDB, read-only, and each checkpoint
validates a pandas DataFrame of exactly the rows a run wrote: for the daily marts the
days of the window (health_start_date..health_end_date), for the other marts the whole
table (they are rebuilt by every run), for the raw sources the rows landed since the
previous validated load (all rows the first time).

Suites:
- raw__<source>__<table>: contract columns present, keys and load times present,
  enumerations, ranges, JSON, no load time in the future (dirt that staging sets aside
  is tolerated up to 5 % with `mostly`).
- raw__load_profile: one row per raw table; freshness of _loaded_at against the
  source's dbt freshness `error_after`, and volume change versus the previous load
  (row counts kept in a small JSON state file).
- marts__<model>: scores within 0-100, shares within 0-1 and summing to 1 per node, valid
  bands and enumerations, no duplicate grain, definition_version present (one per run),
  the window's days all written.
- marts__columns: one row per column of every public mart: no personal-data column
  (columns tagged `meta: {contains_pii: true}` in the dbt YAML of sources and models).

Raw results warn (the loader's data is outside our control; staging sets bad rows
aside); mart results block (`validate_marts(...).success` gates publication).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd
import yaml
from filelock import FileLock

from customer_health.safety import parse_iso_date, parse_window, safe_identifier, yesterday_utc

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_GX_PROJECT = PROJECT_DIR  # GX puts its context in <project>/gx
BATCH_DEFINITION = "rows_written"
RAW_DATASOURCE = "raw"
MARTS_DATASOURCE = "marts"
MART_SCHEMA = "marts"
PUBLIC_MART = re.compile(r"^(dim|fct|dq)_[a-z0-9_]+$")
BANDS = ["good", "average", "poor", "insufficient_data"]
# Dirt that staging sets aside is normal in raw loads; more than this share is not.
RAW_DIRT_TOLERANCE = 0.95
# Volume change versus the previous load: raw tables only grow (the loader appends and
# re-delivers); a shrink of more than 10 % or a load more than 3x the last is suspicious.
VOLUME_MIN_RATIO = 0.9
VOLUME_MAX_RATIO = 3.0
# Names that are personal data whatever the YAML says.
PII_NAME_PATTERN = (
    r"(^|_)(e_?mail|first_name|last_name|full_name|phone|phone_number|ssn|birth_?date|ip_address)($|_)"
)
KEEP_RESULTS_PER_SUITE = 10

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# What the dbt project says: raw sources, freshness, personal-data tags


@dataclass(frozen=True)
class RawTable:
    source: str
    table: str
    columns: tuple[str, ...]
    max_age_hours: float | None
    key: str = "id"

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"

    @property
    def suite(self) -> str:
        return f"raw__{self.source}__{self.table}"


_PERIOD_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_yaml_cache: dict[Path, tuple[float, Any]] = {}


def _load_yaml(path: Path) -> Any:
    """A parsed YAML file, cached until the file changes (the suites read the dbt YAML
    several times per run)."""
    mtime = path.stat().st_mtime
    cached = _yaml_cache.get(path)
    if cached is None or cached[0] != mtime:
        try:
            content = yaml.load(path.read_text(), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            content = None
        cached = (mtime, content)
        _yaml_cache[path] = cached
    return cached[1]


def _yaml_files(project_dir: Path) -> Iterator[tuple[Path, dict]]:
    for path in sorted((project_dir / "models").rglob("*.yml")):
        content = _load_yaml(path)
        if isinstance(content, dict):
            yield path, content


def _error_after_hours(*configs: Mapping | None) -> float | None:
    for config in configs:
        if not isinstance(config, Mapping):
            continue
        freshness = (config.get("config") or {}).get("freshness") or config.get("freshness")
        if isinstance(freshness, Mapping) and isinstance(freshness.get("error_after"), Mapping):
            after = freshness["error_after"]
            return float(after.get("count", 0)) * _PERIOD_HOURS.get(str(after.get("period")), 24.0)
    return None


def raw_tables(project_dir: Path = PROJECT_DIR) -> list[RawTable]:
    """Every raw table declared as a dbt source, with its columns and freshness limit."""
    tables = []
    for _, content in _yaml_files(project_dir):
        for source in content.get("sources") or []:
            for table in source.get("tables") or []:
                columns = tuple(c["name"] for c in table.get("columns") or [] if isinstance(c, Mapping))
                tables.append(
                    RawTable(
                        source=source["name"],
                        table=table["name"],
                        columns=columns,
                        max_age_hours=_error_after_hours(table, source),
                    )
                )
    return sorted(tables, key=lambda t: t.name)


def _column_meta(column: Mapping) -> Mapping:
    meta = dict(column.get("meta") or {})
    meta.update((column.get("config") or {}).get("meta") or {})
    return meta


def pii_columns(project_dir: Path = PROJECT_DIR) -> dict[str, list[str]]:
    """Columns tagged `meta: {contains_pii: true}` in the dbt YAML, per source table
    (`source:crm.contact`) or model (`model:stg_crm__contacts`)."""
    tagged: dict[str, list[str]] = {}
    for _, content in _yaml_files(project_dir):
        for source in content.get("sources") or []:
            for table in source.get("tables") or []:
                names = [c["name"] for c in table.get("columns") or [] if _column_meta(c).get("contains_pii")]
                if names:
                    tagged[f"source:{source['name']}.{table['name']}"] = sorted(names)
        for model in content.get("models") or []:
            names = [c["name"] for c in model.get("columns") or [] if _column_meta(c).get("contains_pii")]
            if names:
                tagged[f"model:{model['name']}"] = sorted(names)
    return tagged


def pii_column_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted({name.lower() for names in pii_columns(project_dir).values() for name in names})


def _accepted_values(project_dir: Path, model: str, column: str) -> list[str] | None:
    for _, content in _yaml_files(project_dir):
        for node in content.get("models") or []:
            if node.get("name") != model:
                continue
            for col in node.get("columns") or []:
                if col.get("name") != column:
                    continue
                for test in col.get("data_tests") or col.get("tests") or []:
                    if isinstance(test, Mapping) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = (spec.get("arguments") or {}).get("values") or spec.get("values")
                        if values:
                            return sorted(str(v) for v in values)
    return None


def source_schemas(
    project_dir: Path = PROJECT_DIR, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Schema of each source: the `<source>_schema` var of dbt_project.yml, or `overrides`."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    project_vars = project.get("vars") or {}
    schemas = {}
    for table in raw_tables(project_dir):
        var_name = f"{table.source}_schema"
        value = (overrides or {}).get(table.source) or project_vars.get(var_name) or table.source
        schemas[table.source] = safe_identifier(value, var_name)
    return schemas


# ---------------------------------------------------------------------------------------
# The suites


class E(NamedTuple):
    """One expectation: a GX expectation class name and its arguments."""

    kind: str
    kwargs: dict[str, Any]


def _e(kind: str, **kwargs: Any) -> E:
    return E(kind, kwargs)


def not_null(column: str, **kw: Any) -> E:
    return _e("ExpectColumnValuesToNotBeNull", column=column, **kw)


def in_set(column: str, values: Iterable[str], **kw: Any) -> E:
    return _e("ExpectColumnValuesToBeInSet", column=column, value_set=list(values), **kw)


def between(column: str, low: Any = None, high: Any = None, **kw: Any) -> E:
    args: dict[str, Any] = {"column": column}
    if low is not None:
        args["min_value"] = low
    if high is not None:
        args["max_value"] = high
    return _e("ExpectColumnValuesToBeBetween", **args, **kw)


def param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def window_rows() -> list[E]:
    """A daily mart's batch is the run's window: every day written, no other day."""
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
    ]


def definition_version() -> list[E]:
    return [
        _e("ExpectColumnToExist", column="definition_version"),
        not_null("definition_version"),
        _e(
            "ExpectColumnUniqueValueCountToBeBetween",
            column="definition_version",
            min_value=1,
            max_value=1,
            notes="One run computes its whole window with one health definition.",
        ),
    ]


def scores(*columns: str) -> list[E]:
    return [between(c, 0, 100) for c in columns]


@dataclass(frozen=True)
class MartSuite:
    table: str
    expectations: list[E]
    daily: bool = False
    required: bool = False

    @property
    def suite(self) -> str:
        return f"marts__{self.table}"


def mart_suites(project_dir: Path = PROJECT_DIR) -> list[MartSuite]:
    rejection_reasons = _accepted_values(project_dir, "dq_rejected_rows", "reason")
    return [
        MartSuite(
            "fct_account_health_daily",
            daily=True,
            required=True,
            expectations=[
                *window_rows(),
                *(not_null(c) for c in ("account_id", "as_of_date", "health_profile_id", "health_band")),
                _e("ExpectCompoundColumnsToBeUnique", column_list=["account_id", "as_of_date"]),
                in_set("health_band", BANDS),
                *scores(
                    "health_score",
                    "engagement_score",
                    "outcomes_score",
                    "relationship_score",
                    "strategic_score",
                ),
                between("coverage", 0, 1),
                between("score_change_30d", -100, 100),
                between("arr", 0),
                in_set("lifecycle_stage", ["onboarding", "renewal", "established", "churned"]),
                *definition_version(),
            ],
        ),
        MartSuite(
            "fct_indicator_scores_daily",
            daily=True,
            required=True,
            expectations=[
                *window_rows(),
                *(not_null(c) for c in ("account_id", "as_of_date", "indicator_id", "pillar", "is_missing")),
                _e(
                    "ExpectCompoundColumnsToBeUnique",
                    column_list=["account_id", "as_of_date", "indicator_id"],
                ),
                *scores("indicator_score"),
                between("nominal_weight", 0, 1),
                between("effective_weight", 0, 1),
                in_set("pillar", ["engagement", "outcomes", "relationship", "strategic"]),
                in_set("scoring_method", ["linear", "bands"]),
                in_set("missing_policy", ["ignore", "neutral", "poor"]),
                *definition_version(),
            ],
        ),
        MartSuite(
            "fct_hierarchy_health_daily",
            daily=True,
            expectations=[
                *window_rows(),
                *(not_null(c) for c in ("account_id", "as_of_date", "rollup_method", "health_band")),
                _e(
                    "ExpectCompoundColumnsToBeUnique",
                    column_list=["account_id", "as_of_date", "rollup_method"],
                ),
                in_set("rollup_method", ["account_count", "contract_value"]),
                in_set("health_band", BANDS),
                *(between(c, 0, 1) for c in ("good_share", "average_share", "poor_share")),
                between(
                    "_share_sum",
                    1 - 1e-9,
                    1 + 1e-9,
                    notes="good_share + average_share + poor_share per node (computed on the batch; "
                    "null for a node without members).",
                ),
                *scores("health_score", "worst_score"),
                between(
                    "_mean_minus_worst",
                    0,
                    notes="health_score - worst_score, rounded to 9 decimals (computed on the batch): "
                    "the weighted mean is never below the worst member.",
                ),
                between("member_count", 0),
                *definition_version(),
            ],
        ),
        MartSuite(
            "dim_account",
            expectations=[
                not_null("account_id"),
                _e("ExpectColumnValuesToBeUnique", column="account_id"),
                between("hierarchy_depth", 0),
                between("arr", 0),
                in_set("customer_tier", ["enterprise", "mid_market", "smb"]),
                in_set("health_band", BANDS),
                *scores("health_score"),
            ],
        ),
        MartSuite(
            "fct_health_alerts",
            expectations=[
                *(not_null(c) for c in ("alert_id", "account_id", "alert_type", "severity", "opened_on")),
                _e("ExpectColumnValuesToBeUnique", column="alert_id"),
                in_set("severity", ["low", "medium", "high"]),
                _e(
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    column_A="resolved_on",
                    column_B="opened_on",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                _e("ExpectColumnToExist", column="definition_version"),
                not_null("definition_version"),
            ],
        ),
        MartSuite(
            "dq_rejected_rows",
            required=True,
            expectations=[
                *(not_null(c) for c in ("rejected_row_id", "source_name", "table_name", "reason")),
                _e("ExpectColumnValuesToBeUnique", column="rejected_row_id"),
                in_set("source_name", sorted({t.source for t in raw_tables(project_dir)})),
                *([in_set("reason", rejection_reasons)] if rejection_reasons else []),
            ],
        ),
        MartSuite(
            "dq_hierarchy_issues",
            expectations=[
                not_null("account_id"),
                _e("ExpectColumnValuesToBeUnique", column="account_id"),
                in_set("reason", ["cycle", "self_parent", "missing_parent"]),
            ],
        ),
    ]


COLUMNS_SUITE = "marts__columns"
LOAD_PROFILE_SUITE = "raw__load_profile"
REQUIRED_MARTS = ["dq_rejected_rows", "fct_account_health_daily", "fct_indicator_scores_daily"]


def columns_suite(project_dir: Path = PROJECT_DIR) -> list[E]:
    return [
        _e("ExpectColumnDistinctValuesToContainSet", column="table_name", value_set=REQUIRED_MARTS),
        _e(
            "ExpectColumnValuesToNotBeInSet",
            column="column_name",
            value_set=pii_column_names(project_dir),
            notes="No public mart exposes a column tagged meta.contains_pii in the dbt YAML.",
        ),
        _e(
            "ExpectColumnValuesToNotMatchRegex",
            column="column_name",
            regex=PII_NAME_PATTERN,
            notes="Nor a column whose name says it is personal data.",
        ),
    ]


RAW_RULES: dict[str, list[E]] = {
    "crm.account": [
        in_set("type", ["Customer", "Former Customer", "Prospect", "Partner"]),
        in_set("customer_tier__c", ["enterprise", "mid_market", "smb"]),
        in_set("support_package__c", ["premium", "standard", "basic"]),
    ],
    "crm.contact": [
        in_set("persona__c", ["executive_sponsor", "decision_maker", "champion", "influencer", "end_user"]),
    ],
    "crm.opportunity": [
        in_set("type", ["New Business", "Renewal", "Expansion"]),
        _e("ExpectColumnValuesToMatchRegex", column="currency_iso_code", regex=r"^[A-Z]{3}$"),
    ],
    "crm.event": [
        in_set("type", ["EBR", "QBR", "Meeting", "Call", "Training"]),
        not_null("activity_date", mostly=RAW_DIRT_TOLERANCE),
    ],
    "crm.success_goal": [in_set("status", ["not_started", "in_progress", "achieved", "missed"])],
    "billing.customer": [
        _e("ExpectColumnValuesToMatchRegex", column="currency", regex=r"^[a-z]{3}$"),
        _e("ExpectColumnValuesToBeJsonParseable", column="metadata", mostly=RAW_DIRT_TOLERANCE),
    ],
    "billing.subscription": [
        in_set("status", ["trialing", "active", "past_due", "unpaid", "canceled", "incomplete"]),
        not_null("start_date", mostly=RAW_DIRT_TOLERANCE),
    ],
    "billing.subscription_item": [
        in_set("interval", ["month", "year"]),
        _e("ExpectColumnValuesToMatchRegex", column="currency", regex=r"^[a-z]{3}$"),
        between("quantity", 1, mostly=RAW_DIRT_TOLERANCE),
        between("unit_amount", 0, mostly=RAW_DIRT_TOLERANCE),
    ],
    "billing.invoice": [
        in_set("status", ["draft", "open", "paid", "void", "uncollectible"]),
        _e("ExpectColumnValuesToMatchRegex", column="currency", regex=r"^[a-z]{3}$"),
        between("amount_due", 0, mostly=RAW_DIRT_TOLERANCE),
    ],
    "product.users": [in_set("role", ["admin", "member", "viewer"])],
    "product.tracks": [
        not_null("user_id"),
        not_null("timestamp", mostly=RAW_DIRT_TOLERANCE),
    ],
    "support.ticket": [
        in_set("priority", ["low", "normal", "high", "urgent"]),
        in_set("status", ["new", "open", "pending", "hold", "solved", "closed"]),
        in_set("type", ["problem", "incident", "question", "task"]),
        in_set("satisfaction_rating", ["good", "bad", "offered", "unoffered"]),
    ],
    "survey.nps_response": [between("score", 0, 10, mostly=RAW_DIRT_TOLERANCE)],
}


def raw_suite(table: RawTable) -> list[E]:
    return [
        _e(
            "ExpectTableColumnsToMatchSet",
            column_set=list(table.columns),
            exact_match=False,
            notes="Every contract column is present.",
        ),
        not_null(table.key, mostly=RAW_DIRT_TOLERANCE),
        not_null("_loaded_at"),
        between("_loaded_at", high=param("max_loaded_at"), notes="No load time in the future."),
        *RAW_RULES.get(table.name, []),
    ]


def load_profile_suite() -> list[E]:
    return [
        between("row_count", 1, notes="Every raw table has rows."),
        _e(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="max_age_hours",
            column_B="hours_since_last_load",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            notes="Freshness: the newest _loaded_at is younger than the source's dbt freshness error_after.",
        ),
        between("hours_since_last_load", -1, notes="No load time in the future."),
        between(
            "row_count_ratio",
            VOLUME_MIN_RATIO,
            VOLUME_MAX_RATIO,
            notes="Volume change versus the previous load (null on the first load).",
        ),
    ]


def all_suites(project_dir: Path = PROJECT_DIR) -> dict[str, tuple[str, str, list[E]]]:
    """suite name -> (datasource, asset, expectations)."""
    suites: dict[str, tuple[str, str, list[E]]] = {}
    for table in raw_tables(project_dir):
        suites[table.suite] = (RAW_DATASOURCE, f"{table.source}__{table.table}", raw_suite(table))
    suites[LOAD_PROFILE_SUITE] = (RAW_DATASOURCE, "load_profile", load_profile_suite())
    for mart in mart_suites(project_dir):
        suites[mart.suite] = (MARTS_DATASOURCE, mart.table, mart.expectations)
    suites[COLUMNS_SUITE] = (MARTS_DATASOURCE, "columns", columns_suite(project_dir))
    return suites


# ---------------------------------------------------------------------------------------
# Results


@dataclass
class SuiteResult:
    suite: str
    table: str
    rows: int = 0
    evaluated: int = 0
    passed: int = 0
    failed: int = 0
    skipped: str | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.failed == 0


@dataclass
class QualityResult:
    scope: str
    suites: list[SuiteResult] = field(default_factory=list)
    data_docs_index: Path | None = None

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    @property
    def passed(self) -> int:
        """Expectations that passed, over all suites."""
        return sum(s.passed for s in self.suites)

    @property
    def failed(self) -> int:
        """Expectations that failed, over all suites."""
        return sum(s.failed for s in self.suites)

    @property
    def failed_suites(self) -> list[str]:
        return [s.suite for s in self.suites if not s.success]

    def suite(self, name: str) -> SuiteResult:
        return next(s for s in self.suites if s.suite == name)

    def merge(self, other: QualityResult) -> QualityResult:
        return QualityResult(
            scope="all",
            suites=[*self.suites, *other.suites],
            data_docs_index=other.data_docs_index or self.data_docs_index,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "success": self.success,
            "passed": self.passed,
            "failed": self.failed,
            "data_docs_index": str(self.data_docs_index) if self.data_docs_index else None,
            "suites": [{**asdict(s), "success": s.success} for s in self.suites],
        }

    def summary(self) -> str:
        lines = [f"{'suite':<40} {'rows':>9} {'passed':>7} {'failed':>7}"]
        for s in self.suites:
            status = f"skipped: {s.skipped}" if s.skipped else ("" if s.success else "FAILED")
            lines.append(f"{s.suite:<40} {s.rows:>9,} {s.passed:>7} {s.failed:>7}  {status}".rstrip())
            lines += [f"    - {f}" for f in s.failures[:10]]
        lines.append(
            f"{self.scope}: {'PASSED' if self.success else 'FAILED'} - {len(self.suites)} suites, "
            f"{self.passed} expectations passed, {self.failed} failed"
        )
        if self.data_docs_index:
            lines.append(f"Data Docs: {self.data_docs_index}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The GX file context


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "posthog"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")


def _stripped(obj: Any) -> Any:
    """A JSON-able object without GX's generated ids, for comparing definitions."""
    if isinstance(obj, Mapping):
        return {k: _stripped(v) for k, v in obj.items() if k not in ("id", "great_expectations_version")}
    if isinstance(obj, list | tuple):
        return [_stripped(v) for v in obj]
    return obj


class GxProject:
    """The GX file context under `<project_root>/gx`, in line with this module's suites."""

    def __init__(self, project_root: Path = DEFAULT_GX_PROJECT, dbt_project_dir: Path = PROJECT_DIR) -> None:
        _quiet_gx()
        import great_expectations as gx

        self.gx = gx
        self.root = Path(project_root).resolve()
        self.dir = self.root / "gx"
        self.dbt_project_dir = dbt_project_dir
        self.context = gx.get_context(mode="file", project_root_dir=str(self.root))
        self._settings()
        self.sync()

    @property
    def data_docs_index(self) -> Path:
        return self.dir / "uncommitted" / "data_docs" / "local_site" / "index.html"

    def _settings(self) -> None:
        variables = self.context.variables
        changed = False
        if variables.analytics_enabled is not False:
            variables.analytics_enabled = False
            changed = True
        bars = variables.progress_bars
        if not bars or getattr(bars, "globally", True) or getattr(bars, "metric_calculations", True):
            from great_expectations.data_context.types.base import ProgressBarsConfig

            variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            changed = True
        if changed:
            variables.save()

    def _asset(self, datasource: str, asset: str) -> Any:
        try:
            source = self.context.data_sources.get(datasource)
        except (KeyError, LookupError, ValueError):
            source = self.context.data_sources.add_pandas(datasource)
        try:
            data_asset = source.get_asset(asset)
        except (KeyError, LookupError, ValueError):
            data_asset = source.add_dataframe_asset(asset)
        try:
            return data_asset.get_batch_definition(BATCH_DEFINITION)
        except (KeyError, LookupError, ValueError):
            return data_asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)

    def _suite(self, name: str, expectations: list[E]) -> tuple[Any, bool]:
        import great_expectations.expectations as gxe

        wanted = self.gx.ExpectationSuite(
            name=name,
            expectations=[getattr(gxe, e.kind)(**e.kwargs) for e in expectations],
            meta={"owner": "customer_health.quality (generated: edit the module, not this file)"},
        )
        try:
            existing = self.context.suites.get(name)
        except Exception:  # noqa: BLE001 - GX raises its own not-found types
            existing = None
        if existing is not None and _stripped(existing.to_json_dict()) == _stripped(wanted.to_json_dict()):
            return existing, False
        if existing is not None:
            self.context.suites.delete(name)
        return self.context.suites.add(wanted), True

    @staticmethod
    def _existing(store: Any, name: str) -> Any:
        try:
            return store.get(name)
        except Exception:  # noqa: BLE001 - GX raises several not-found types
            return None

    def sync(self) -> None:
        """Create or update data assets, suites, validation definitions and checkpoints."""
        for name, (datasource, asset, expectations) in all_suites(self.dbt_project_dir).items():
            batch_definition = self._asset(datasource, asset)
            suite, suite_changed = self._suite(name, expectations)
            validation = self._existing(self.context.validation_definitions, name)
            if validation is not None and (
                suite_changed
                or validation.suite.name != name
                or validation.batch_definition.id != batch_definition.id
            ):
                self.context.validation_definitions.delete(name)
                validation = None
            validation_changed = validation is None
            if validation is None:
                validation = self.context.validation_definitions.add(
                    self.gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
                )
            checkpoint = self._existing(self.context.checkpoints, name)
            if checkpoint is not None and (
                validation_changed
                or [v.name for v in checkpoint.validation_definitions] != [name]
                or not checkpoint.actions
            ):
                self.context.checkpoints.delete(name)
                checkpoint = None
            if checkpoint is None:
                self.context.checkpoints.add(
                    self.gx.Checkpoint(
                        name=name,
                        validation_definitions=[validation],
                        actions=[self.gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
                        result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10},
                    )
                )

    def run(
        self,
        name: str,
        table: str,
        frame: pd.DataFrame,
        parameters: Mapping[str, Any] | None = None,
        data_docs: bool = True,
    ) -> SuiteResult:
        """Run suite `name` on `frame`: through its checkpoint (which updates Data Docs) or,
        without Data Docs, through its validation definition."""
        kwargs = {"batch_parameters": {"dataframe": frame}, "expectation_parameters": dict(parameters or {})}
        if data_docs:
            checkpoint_result = self.context.checkpoints.get(name).run(**kwargs)
            validation = next(iter(checkpoint_result.run_results.values()))
        else:
            validation = self.context.validation_definitions.get(name).run(**kwargs)
        outcome = SuiteResult(suite=name, table=table, rows=len(frame))
        for result in validation.results:
            outcome.evaluated += 1
            if result.success:
                outcome.passed += 1
            else:
                outcome.failed += 1
                outcome.failures.append(_describe_failure(result, frame))
        return outcome

    def prune(self, keep: int = KEEP_RESULTS_PER_SUITE) -> None:
        """Keep the newest `keep` results per suite (validation store and Data Docs pages),
        so that neither the store nor the Data Docs index grows without end."""
        for base in (
            self.dir / "uncommitted" / "validations",
            self.dir / "uncommitted" / "data_docs" / "local_site" / "validations",
        ):
            if not base.is_dir():
                continue
            for suite_dir in base.iterdir():
                if not suite_dir.is_dir():
                    continue
                runs = sorted((p for p in suite_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
                for old in runs[:-keep] if keep else runs:
                    shutil.rmtree(old, ignore_errors=True)


def _describe_failure(result: Any, frame: pd.DataFrame) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    what = f"{config.type}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return f"{what}: error: {info.get('exception_message')}"
    res = result.result or {}
    details = []
    if "unexpected_count" in res:
        details.append(f"{res['unexpected_count']} unexpected of {res.get('element_count')}")
    if res.get("partial_unexpected_list"):
        details.append(f"e.g. {res['partial_unexpected_list'][:5]}")
    if "observed_value" in res:
        details.append(f"observed {res['observed_value']!r}")
    index = res.get("partial_unexpected_index_list")
    if index and frame.index.name:
        details.append(f"{frame.index.name}: {sorted({str(i) for i in index})[:10]}")
    return f"{what}: {'; '.join(details)}"


@contextmanager
def _gx_project(gx_project_root: Path | None) -> Iterator[GxProject]:
    root = Path(gx_project_root or DEFAULT_GX_PROJECT).resolve()
    (root / "gx" / "uncommitted").mkdir(parents=True, exist_ok=True)
    # One run at a time per GX project: the stores are plain files.
    with FileLock(str(root / "gx" / "uncommitted" / "quality.lock")):
        project = GxProject(root)
        project.prune()
        yield project


def _connect_read_only(duckdb_path: Path | str) -> duckdb.DuckDBPyConnection:
    path = Path(duckdb_path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse file not found: {path}")
    return duckdb.connect(str(path), read_only=True)


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


# ---------------------------------------------------------------------------------------
# Marts


def mart_batch(
    con: duckdb.DuckDBPyConnection, mart: MartSuite, start_date: dt.date, end_date: dt.date
) -> pd.DataFrame:
    """Exactly the rows a run wrote: the window's days of a daily mart, a whole table else."""
    table = f"{MART_SCHEMA}.{safe_identifier(mart.table)}"
    if mart.daily:
        frame = _frame(
            con,
            f"select * from {table} where as_of_date >= ? and as_of_date < ?",
            [start_date, end_date + dt.timedelta(days=1)],
        )
    else:
        frame = _frame(con, f"select * from {table}")
    if mart.table == "fct_hierarchy_health_daily" and {"good_share", "average_share", "poor_share"} <= set(
        frame
    ):
        frame["_share_sum"] = (frame["good_share"] + frame["average_share"] + frame["poor_share"]).round(12)
        frame["_mean_minus_worst"] = (frame["health_score"] - frame["worst_score"]).round(9)
    return frame


def marts_columns_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = _frame(
        con,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [MART_SCHEMA],
    )
    return frame[frame["table_name"].map(lambda t: bool(PUBLIC_MART.match(t)))].reset_index(drop=True)


def validate_marts(
    duckdb_path: Path | str,
    start_date: dt.date | str,
    end_date: dt.date | str,
    *,
    gx_project_root: Path | None = None,
    data_docs: bool = True,
) -> QualityResult:
    """Validate the public marts a run wrote for the window start_date..end_date
    (inclusive). Blocking: publish only when `.success`."""
    start, end = parse_window(start_date, end_date)
    parameters = {
        "window_start": pd.Timestamp(start),
        "window_end": pd.Timestamp(end),
        "window_days": (end - start).days + 1,
    }
    result = QualityResult(scope="marts")
    with _gx_project(gx_project_root) as project:
        con = _connect_read_only(duckdb_path)
        try:
            batches = []
            for mart in mart_suites(project.dbt_project_dir):
                if not _table_exists(con, MART_SCHEMA, mart.table):
                    if mart.required:
                        result.suites.append(
                            SuiteResult(
                                mart.suite, mart.table, failed=1, failures=["the mart does not exist"]
                            )
                        )
                    else:
                        result.suites.append(SuiteResult(mart.suite, mart.table, skipped="not built"))
                    continue
                batches.append((mart, mart_batch(con, mart, start, end)))
            columns = marts_columns_frame(con)
        finally:
            con.close()
        for mart, frame in batches:
            result.suites.append(project.run(mart.suite, mart.table, frame, parameters, data_docs))
        result.suites.append(project.run(COLUMNS_SUITE, "marts.*", columns, {}, data_docs))
        result.data_docs_index = project.data_docs_index if data_docs else None
    return result


# ---------------------------------------------------------------------------------------
# Raw sources


def default_state_path(gx_project_root: Path | None = None) -> Path:
    return Path(gx_project_root or DEFAULT_GX_PROJECT) / "gx" / "uncommitted" / "raw_load_state.json"


def _read_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)


def validate_raw(
    duckdb_path: Path | str,
    *,
    now: dt.datetime | None = None,
    state_path: Path | None = None,
    schemas: Mapping[str, str] | None = None,
    update_state: bool = True,
    gx_project_root: Path | None = None,
    data_docs: bool = True,
) -> QualityResult:
    """Validate the raw sources: the rows landed since the previous validated load, and
    freshness and volume of every table. Warns (does not gate publication).

    `now` (UTC, naive) is the reference time for freshness; default the current time.
    The state (previous row counts and newest _loaded_at per table) is kept in
    `state_path`, keyed by the warehouse file."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    state_path = state_path or default_state_path(gx_project_root)
    warehouse_key = str(Path(duckdb_path).resolve())
    state = _read_state(state_path)
    previous: dict[str, Any] = state.get(warehouse_key, {})
    resolved = source_schemas(PROJECT_DIR, schemas)
    tables = raw_tables(PROJECT_DIR)
    result = QualityResult(scope="raw")
    profile_rows = []
    batches = []
    new_state: dict[str, Any] = {}
    con = _connect_read_only(duckdb_path)
    try:
        for table in tables:
            schema = resolved[table.source]
            if not _table_exists(con, schema, table.table):
                result.suites.append(
                    SuiteResult(
                        table.suite, table.name, failed=1, failures=[f"{schema}.{table.table} does not exist"]
                    )
                )
                continue
            relation = f'"{schema}"."{safe_identifier(table.table)}"'
            count, newest = con.execute(f"select count(*), max(_loaded_at) from {relation}").fetchone()  # type: ignore[misc]
            before = previous.get(table.name, {})
            watermark = before.get("max_loaded_at")
            if watermark:
                frame = _frame(con, f"select * from {relation} where _loaded_at > ?", [watermark])
            else:
                frame = _frame(con, f"select * from {relation}")
            batches.append((table, frame))
            prev_count = before.get("row_count")
            profile_rows.append(
                {
                    "table_name": table.name,
                    "row_count": int(count),
                    "previous_row_count": prev_count,
                    "row_count_ratio": (count / prev_count) if prev_count else None,
                    "newest_loaded_at": newest,
                    "hours_since_last_load": ((now - newest).total_seconds() / 3600) if newest else None,
                    "max_age_hours": table.max_age_hours,
                    "new_rows": len(frame),
                }
            )
            new_state[table.name] = {
                "row_count": int(count),
                "max_loaded_at": newest.isoformat() if newest else watermark,
                "validated_at": now.isoformat(),
            }
    finally:
        con.close()
    with _gx_project(gx_project_root) as project:
        parameters = {"max_loaded_at": pd.Timestamp(now + dt.timedelta(hours=1))}
        for table, frame in batches:
            result.suites.append(project.run(table.suite, table.name, frame, parameters, data_docs))
        profile = pd.DataFrame(profile_rows).set_index("table_name")
        profile.index.name = "table_name"
        for column in ("previous_row_count", "row_count_ratio", "hours_since_last_load", "max_age_hours"):
            profile[column] = pd.to_numeric(profile[column], errors="coerce").astype("float64")
        result.suites.append(project.run(LOAD_PROFILE_SUITE, "raw.*", profile, {}, data_docs))
        result.data_docs_index = project.data_docs_index if data_docs else None
    if update_state:
        state[warehouse_key] = new_state
        _write_state(state_path, state)
    return result


# ---------------------------------------------------------------------------------------
# Command line


def _default_duckdb_path() -> Path:
    return Path(os.environ.get("HEALTH_DUCKDB_PATH", str(PROJECT_DIR / "warehouse" / "health.duckdb")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Great Expectations checkpoints for raw sources and marts.")
    parser.add_argument("--duckdb-path", type=Path, default=None, help="default: $HEALTH_DUCKDB_PATH")
    parser.add_argument("--suite", choices=["raw", "marts", "all"], default="all")
    parser.add_argument(
        "--start-date", default=None, help="first as_of_date the run wrote (default yesterday UTC)"
    )
    parser.add_argument(
        "--end-date", default=None, help="last as_of_date the run wrote (default yesterday UTC)"
    )
    parser.add_argument("--now", default=None, help="reference time for raw freshness (ISO, UTC)")
    parser.add_argument("--state-path", type=Path, default=None, help="raw volume state (JSON)")
    parser.add_argument("--data-docs", action="store_true", help="build Data Docs and print the index path")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--gx-project-root", type=Path, default=None, help="folder holding gx/ (default: the project)"
    )
    args = parser.parse_args(argv)

    duckdb_path = args.duckdb_path or _default_duckdb_path()
    try:
        start = parse_iso_date(args.start_date, "--start-date") if args.start_date else yesterday_utc()
        end = (
            parse_iso_date(args.end_date, "--end-date")
            if args.end_date
            else start
            if args.start_date
            else yesterday_utc()
        )
        now = dt.datetime.fromisoformat(args.now) if args.now else None
        result: QualityResult | None = None
        if args.suite in ("raw", "all"):
            result = validate_raw(
                duckdb_path,
                now=now,
                state_path=args.state_path,
                gx_project_root=args.gx_project_root,
                data_docs=args.data_docs,
            )
        if args.suite in ("marts", "all"):
            marts = validate_marts(
                duckdb_path, start, end, gx_project_root=args.gx_project_root, data_docs=args.data_docs
            )
            result = result.merge(marts) if result else marts
    except (ValueError, FileNotFoundError, duckdb.Error) as error:
        print(f"quality: {error}", file=sys.stderr)
        return 2
    assert result is not None
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
