"""Hierarchy roll-ups against an independent Python reference, on fixture hierarchies.

A temporary DuckDB file gets a fixture `crm.account` (depth-8 chain, a 1 x 500 fan-out,
a forest of small trees, a 3-cycle, a self-parent, an orphan, a deleted parent,
re-delivered rows) and fixture tables in place of the scoring models the roll-up reads
(int_account_health_scores_overridden over int_account_health_scores, with the effective
values equal to the computed ones here - tests/test_overrides.py covers overrides -,
int_account_health_dimensions_daily, fct_account_health_daily,
int_health_definition_version: zero-ARR members, insufficient_data members, a subtree
without any scored member, members without dimension scores).
The real dbt CLI then builds only the hierarchy models on them. The checks:

- both closure variants (recursive CTE, unrolled self-joins) give the same rows;
- links, issues and the current hierarchy follow the contract's rules;
- fct_hierarchy_health_daily equals a plain-Python reading of the roll-up semantics for
  every node, day and method (shares, scores, band by the seed, 30-day change and
  top_reasons, the relationship and impact means and the quadrant), first with the
  current CRM hierarchy, then with a snapshot history
  (point in time: current CRM before the first snapshot, snapshot versions after).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import run_dbt, window_vars
from reference.hierarchy import (
    BANDS,
    METHODS,
    clean_links,
    node_band,
    quadrant,
    read_band_rules,
    read_dimension_thresholds,
    subtrees,
    weighted_mean,
)

WINDOW_START = dt.date(2026, 11, 1)
WINDOW_END = dt.date(2026, 11, 5)
CHANGE_DAYS = 30
SPAN_START = WINDOW_START - dt.timedelta(days=CHANGE_DAYS)
LOADED_AT = dt.datetime(2026, 10, 1, 6, 0)
FIXED_ACCOUNT_REASONS = ("no material change", "no score 30 days earlier")
TOLERANCE = 1e-9
RAW_ACCOUNT_COLUMNS = [
    "id",
    "name",
    "parent_id",
    "type",
    "industry",
    "billing_country",
    "customer_tier__c",
    "support_package__c",
    "owner_id",
    "created_date",
    "is_deleted",
    "_loaded_at",
]
SCORE_COLUMNS = ["account_id", "as_of_date", "health_score", "health_band", "arr"]

HIERARCHY_MODELS = [
    "health_dimensions",
    "base_crm__accounts",
    "stg_crm__accounts",
    "int_accounts_snapshot_source",
    "snap_crm__accounts",
    "hierarchy_band_rules",
    "path:models/intermediate/hierarchy",
    "dq_hierarchy_issues",
    "fct_hierarchy_health_daily",
]
# Tests of the staging layer that need models outside this selection.
EXCLUDE = ["test_name:row_conservation"]


# --------------------------------------------------------------------------------------
# Fixture data


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows) -> None:
    """Bulk insert (DuckDB's executemany goes row by row)."""
    frame = pd.DataFrame([list(row) for row in rows], columns=columns, dtype=object)
    con.register("fixture_rows", frame)
    column_list = ", ".join(columns)
    con.execute(f"insert into {table} ({column_list}) select {column_list} from fixture_rows")
    con.unregister("fixture_rows")


@dataclass(frozen=True)
class Account:
    account_id: str
    parent_id: str | None
    is_deleted: bool = False


def fixture_accounts() -> list[Account]:
    accounts: list[Account] = []
    add = accounts.append
    # Depth-8 chain: ch0 > ch1 > ... > ch8.
    for level in range(9):
        add(Account(f"ch{level}", None if level == 0 else f"ch{level - 1}"))
    # Wide fan-out: 1 parent x 500 children.
    add(Account("fan", None))
    for child in range(500):
        add(Account(f"fan_{child:03d}", "fan"))
    # A forest of small trees (several roots).
    for tree in range(1, 5):
        add(Account(f"r{tree}", None))
        add(Account(f"r{tree}a", f"r{tree}"))
        add(Account(f"r{tree}b", f"r{tree}"))
        add(Account(f"r{tree}a1", f"r{tree}a"))
    # A 3-cycle with a subtree hanging below it.
    add(Account("cy1", "cy3"))
    add(Account("cy2", "cy1"))
    add(Account("cy3", "cy2"))
    add(Account("cy_kid", "cy1"))
    add(Account("cy_grandkid", "cy_kid"))
    # A self-parent and an orphan (parent never loaded), each with a child.
    add(Account("sp", "sp"))
    add(Account("sp_kid", "sp"))
    add(Account("orph", "ghost"))
    add(Account("orph_kid", "orph"))
    # A deleted parent: its child becomes top-level (missing_parent).
    add(Account("gone", None, is_deleted=True))
    add(Account("gone_kid", "gone"))
    # Members without ARR, members always insufficient_data, a subtree nobody scores.
    add(Account("zero", None))
    add(Account("zero_a", "zero"))
    add(Account("zero_b", "zero"))
    add(Account("insuf", None))
    add(Account("insuf_a", "insuf"))
    add(Account("empty", "r1"))
    add(Account("empty_kid", "empty"))
    # Re-delivered: the first delivery's parent is superseded by the second's.
    add(Account("dup", "r3"))
    return accounts


UNSCORED = {"empty", "empty_kid", "cy_grandkid"}
ZERO_ARR = {"zero", "zero_a", "zero_b", "r2b"}
ALWAYS_INSUFFICIENT = {"insuf", "insuf_a"}


def account_name(account_id: str) -> str:
    return f"Account {account_id.upper()}"


def span_days() -> list[dt.date]:
    return [SPAN_START + dt.timedelta(days=offset) for offset in range((WINDOW_END - SPAN_START).days + 1)]


def fixture_scores(accounts: list[Account]) -> list[tuple]:
    """Rows of the int_account_health_scores stand-in: (account, day, score, band, arr)."""
    rng = random.Random(20261101)
    rows = []
    for account in accounts:
        if account.is_deleted or account.account_id in UNSCORED:
            continue
        base = rng.uniform(10, 95)
        arr = 0.0 if account.account_id in ZERO_ARR else rng.choice([1200.0, 9600.0, 48000.0])
        for day in span_days():
            if rng.random() < 0.08:  # not a customer that day: no row
                continue
            score = min(100.0, max(0.0, base + rng.uniform(-25, 25)))
            if account.account_id in ALWAYS_INSUFFICIENT or rng.random() < 0.1:
                band = "insufficient_data"
            elif score >= 70:
                band = "good"
            elif score < 45:
                band = "poor"
            else:
                band = "average"
            rows.append((account.account_id, day, score, band, arr * rng.choice([1.0, 1.0, 1.5])))
    return rows


def fixture_dimensions(scores: list[tuple]) -> dict[tuple, tuple]:
    """(account, day) -> (relationship, impact) scores, some missing, a few exactly on a
    threshold (60), for the int_account_health_dimensions_daily stand-in."""
    rng = random.Random(16)
    dimensions = {}
    for account_id, day, *_ in scores:
        values = []
        for _ in range(2):
            draw = rng.random()
            values.append(None if draw < 0.1 else 60.0 if draw < 0.15 else rng.uniform(0, 100))
        if rng.random() < 0.05:
            continue  # no row at all
        dimensions[(account_id, day)] = tuple(values)
    return dimensions


def fixture_account_reasons(scores: list[tuple]) -> list[tuple]:
    rng = random.Random(7)
    texts = [
        "license utilization fell from 80 to 30 (-9 pts); NPS rose from 10 to 40 (+3 pts)",
        "overdue invoice fell from 100 to 0 (-12 pts)",
        "executive engagement rose from 20 to 90 (+8 pts)",
        "no material change",
        "no score 30 days earlier",
    ]
    return [
        (account_id, day, rng.choice(texts))
        for account_id, day, *_ in scores
        if WINDOW_START <= day <= WINDOW_END
    ]


def write_fixture(path: Path) -> tuple[list[Account], list[tuple], dict, dict]:
    accounts = fixture_accounts()
    scores = fixture_scores(accounts)
    reasons = fixture_account_reasons(scores)
    dimensions = fixture_dimensions(scores)
    con = duckdb.connect(str(path))
    con.execute("create schema crm")
    con.execute(
        "create table crm.account (id varchar, name varchar, parent_id varchar, type varchar, "
        "industry varchar, billing_country varchar, customer_tier__c varchar, "
        "support_package__c varchar, owner_id varchar, created_date timestamp, "
        "is_deleted boolean, _loaded_at timestamp)"
    )
    raw = [
        (
            a.account_id,
            account_name(a.account_id),
            a.parent_id,
            "Customer",
            "Software",
            "US",
            "enterprise",
            "premium",
            "csm_1",
            LOADED_AT,
            a.is_deleted,
            LOADED_AT,
        )
        for a in accounts
    ]
    # An earlier delivery of `dup` under another parent, and a record without key.
    raw.append(
        (
            "dup",
            "Old name",
            "r2",
            "Customer",
            "Software",
            "US",
            "smb",
            "basic",
            "csm_1",
            LOADED_AT,
            False,
            LOADED_AT - dt.timedelta(days=3),
        )
    )
    raw.append((None, "No key", None, "Prospect", None, None, None, None, None, LOADED_AT, False, LOADED_AT))
    insert_rows(con, "crm.account", RAW_ACCOUNT_COLUMNS, raw)
    for schema in ("intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(
        "create table intermediate.int_account_health_scores (account_id varchar, "
        "as_of_date date, health_score double, health_band varchar, arr double)"
    )
    insert_rows(con, "intermediate.int_account_health_scores", SCORE_COLUMNS, scores)
    # No override here: the effective values are the computed ones.
    con.execute(
        "create view intermediate.int_account_health_scores_overridden as select *, "
        "cast(null as varchar) as override_id, health_score as effective_health_score, "
        "health_band as effective_health_band from intermediate.int_account_health_scores"
    )
    con.execute(
        "create table intermediate.int_account_health_dimensions_daily (account_id varchar, "
        "as_of_date date, dimension_relationship_score double, dimension_impact_score double)"
    )
    insert_rows(
        con,
        "intermediate.int_account_health_dimensions_daily",
        ["account_id", "as_of_date", "dimension_relationship_score", "dimension_impact_score"],
        [(a, d, r, i) for (a, d), (r, i) in dimensions.items()],
    )
    con.execute(
        "create table marts.fct_account_health_daily "
        "(account_id varchar, as_of_date date, top_reasons varchar)"
    )
    insert_rows(con, "marts.fct_account_health_daily", ["account_id", "as_of_date", "top_reasons"], reasons)
    con.execute(
        "create table intermediate.int_health_definition_version as "
        "select 'fixture-definition' as definition_version"
    )
    # Read by the license-utilization view (the second use of the roll-up macro).
    con.execute(
        "create table intermediate.int_usage_metrics_daily as select account_id, as_of_date, "
        "cast(10 as bigint) as licensed_seats, cast(7 as bigint) as licensed_active_users_30d "
        "from intermediate.int_account_health_scores"
    )
    con.close()
    return accounts, scores, {(a, d): text for a, d, text in reasons}, dimensions


# --------------------------------------------------------------------------------------
# Reference implementation of the contract's hierarchy semantics


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
) -> dict[tuple, dict]:
    """Expected mart rows keyed by (account_id, as_of_date, rollup_method).

    hierarchy_on(day) gives the {account: crm parent} of the accounts in the hierarchy on
    that day. `scores` are (account, day, score, band, arr): the effective values the
    roll-up reads. With `dimensions` ({(account, day): (relationship, impact)}) the
    dimension means and the quadrant are expected too.
    """
    rules = read_band_rules()
    thresholds = read_dimension_thresholds()
    scored = {(a, d): (s, b, arr) for a, d, s, b, arr in scores}

    def figures(day: dt.date, method: str) -> dict[str, dict]:
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
    day = WINDOW_START
    while day <= WINDOW_END:
        prior_day = day - dt.timedelta(days=CHANGE_DAYS)
        for method in METHODS:
            now_figures = figures(day, method)
            before_figures = figures(prior_day, method)
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


# --------------------------------------------------------------------------------------
# The build


@dataclass
class Built:
    work: Path
    path: Path
    accounts: list[Account]
    scores: list[tuple]
    account_reasons: dict
    dimensions: dict


def current_parents(accounts: list[Account]) -> dict[str, str | None]:
    return {a.account_id: a.parent_id for a in accounts if not a.is_deleted}


def build(built: Built, select: list[str], exclude: tuple[str, ...] = (), **extra_vars: object) -> None:
    run_dbt(
        [
            "build",
            "--select",
            *select,
            "--exclude",
            *EXCLUDE,
            *exclude,
            "--vars",
            window_vars(WINDOW_START, WINDOW_END, **extra_vars),
        ],
        built.path,
        built.work,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("hierarchy")
    path = work / "hierarchy.duckdb"
    accounts, scores, account_reasons, dimensions = write_fixture(path)
    result = Built(work, path, accounts, scores, account_reasons, dimensions)
    # The unrolled closure here, the recursive one (the default) in the history build:
    # both are checked against the reference, and against each other row for row.
    build(result, HIERARCHY_MODELS, hierarchy_closure_method="unrolled")
    return result


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def mart_rows(path: Path) -> dict[tuple, dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(
            "select account_id, as_of_date, rollup_method, member_count, total_weight, "
            "good_share, average_share, poor_share, health_score, worst_score, health_band, "
            "score_change_30d, top_reasons, dimension_relationship_score, dimension_impact_score, "
            "health_quadrant from marts.fct_hierarchy_health_daily"
        )
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return {(r["account_id"], r["as_of_date"], r["rollup_method"]): r for r in rows}


def assert_matches_reference(actual: dict[tuple, dict], expected: dict[tuple, dict]) -> None:
    assert set(actual) == set(expected), (
        f"missing {sorted(set(expected) - set(actual))[:5]}, "
        f"unexpected {sorted(set(actual) - set(expected))[:5]}"
    )
    problems = []
    for key, want in expected.items():
        got = actual[key]
        for column, value in want.items():
            if isinstance(value, float) or isinstance(got[column], float):
                ok = (value is None and got[column] is None) or (
                    value is not None
                    and got[column] is not None
                    and math.isclose(value, got[column], rel_tol=1e-12, abs_tol=TOLERANCE)
                )
            else:
                ok = value == got[column]
            if not ok:
                problems.append(f"{key} {column}: mart {got[column]!r}, reference {value!r}")
    assert not problems, f"{len(problems)} differences, first: " + "\n".join(problems[:10])


# --------------------------------------------------------------------------------------
# Tests


def test_links_and_issues_follow_the_contract(built: Built):
    parents = current_parents(built.accounts)
    parents["dup"] = "r3"
    effective, issues = clean_links(parents)
    rows = query(
        built.path,
        "select account_id, parent_account_id, link_issue from intermediate.int_account_hierarchy_links",
    )
    assert {r[0]: r[1] for r in rows} == effective
    assert {r[0]: r[2] for r in rows if r[2]} == issues
    assert issues == {
        "cy1": "cycle",
        "cy2": "cycle",
        "cy3": "cycle",
        "sp": "self_parent",
        "orph": "missing_parent",
        "gone_kid": "missing_parent",
    }
    dq = query(built.path, "select account_id, parent_account_id, reason from marts.dq_hierarchy_issues")
    assert sorted(dq) == sorted((a, parents[a], reason) for a, reason in issues.items())


def test_current_hierarchy_depth_root_and_path(built: Built):
    rows = {
        r[0]: r[1:]
        for r in query(
            built.path,
            "select account_id, root_account_id, hierarchy_depth, hierarchy_path, "
            "subtree_account_count from intermediate.int_account_hierarchy",
        )
    }
    assert rows["ch8"] == ("ch0", 8, ">".join(f"ch{i}" for i in range(9)), 1)
    assert rows["fan"][3] == 501
    assert rows["fan_499"] == ("fan", 1, "fan>fan_499", 1)
    assert rows["cy_grandkid"] == ("cy1", 2, "cy1>cy_kid>cy_grandkid", 1)
    assert rows["cy2"][:2] == ("cy2", 0)
    assert rows["sp_kid"][:3] == ("sp", 1, "sp>sp_kid")
    assert rows["orph"][:2] == ("orph", 0)
    assert rows["dup"][:3] == ("r3", 1, "r3>dup")
    assert "gone" not in rows


def test_closure_variants_give_identical_rows(built: Built, history: Built):
    """Same CRM, unrolled closure in `built`, recursive closure in `history`."""
    for model in ("int_account_hierarchy_links", "int_account_hierarchy_closure", "int_account_hierarchy"):
        unrolled = sorted(query(built.path, f"select * from intermediate.{model}"))
        recursive = sorted(query(history.path, f"select * from intermediate.{model}"))
        assert unrolled == recursive, model
    depths = query(built.path, "select max(depth) from intermediate.int_account_hierarchy_closure")
    assert depths == [(8,)]


def test_rollup_matches_reference_with_current_hierarchy(built: Built):
    parents = current_parents(built.accounts)
    parents["dup"] = "r3"
    names = {a.account_id: account_name(a.account_id) for a in built.accounts}
    expected = reference_rollup(
        lambda day: parents, built.scores, built.account_reasons, names, built.dimensions
    )
    actual = mart_rows(built.path)
    assert_matches_reference(actual, expected)
    quadrants = {r["health_quadrant"] for r in actual.values()}
    assert quadrants >= {
        None,
        "strong_relationship_high_impact",
        "weak_relationship_high_impact",
        "strong_relationship_low_impact",
        "weak_relationship_low_impact",
    }
    # The fixture exercises what it claims to.
    assert any(r["total_weight"] == 0 and r["member_count"] > 0 for r in actual.values())
    assert actual[("empty", WINDOW_START, "account_count")]["health_band"] == "insufficient_data"
    assert {r["health_band"] for r in actual.values()} >= {"good", "average", "poor"}
    assert sum(" fell from " in r["top_reasons"] for r in actual.values()) > 10


def rewrite_snapshot_history(
    path: Path, history_start: dt.datetime, change_at: dt.datetime, old_parents: dict
) -> None:
    """Give the snapshot a history: every account had a version from history_start to
    change_at (with old_parents' parents; accounts missing from the CRM now included),
    and its current one from change_at on."""
    con = duckdb.connect(str(path))
    table = "snapshots.snap_crm__accounts"
    cursor = con.execute(f"select * from {table}")
    columns = [c[0] for c in cursor.description]
    current = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    rows = []
    for row in current:
        old = dict(
            row,
            dbt_scd_id=row["dbt_scd_id"] + "_old",
            dbt_valid_from=history_start,
            dbt_updated_at=history_start,
            dbt_valid_to=change_at,
        )
        old["parent_account_id"] = old_parents.get(row["account_id"], row["parent_account_id"])
        rows.append(old)
        rows.append(dict(row, dbt_valid_from=change_at, dbt_updated_at=change_at, dbt_valid_to=None))
    template = next(r for r in current if r["account_id"] == "r4")
    for account_id in set(old_parents) - {r["account_id"] for r in current}:
        rows.append(
            dict(
                template,
                account_id=account_id,
                account_name=account_id,
                parent_account_id=old_parents[account_id],
                dbt_scd_id=account_id,
                dbt_valid_from=history_start,
                dbt_updated_at=history_start,
                dbt_valid_to=change_at,
            )
        )
    con.execute(f"delete from {table}")
    insert_rows(con, table, columns, [[r[c] for c in columns] for r in rows])
    con.close()


HISTORY_START = dt.datetime(2026, 10, 4, 9, 0)  # first snapshot: days before use the CRM
CHANGE_AT = dt.datetime(2026, 11, 3, 12, 0)  # a re-org seen by the snapshot that day
# Before the re-org: other parents, and unit_x (since removed from the CRM) under r4.
OLD_PARENTS = {"r2": "r1", "fan_000": "ch8", "ch5": None, "unit_x": "r4"}


@pytest.fixture(scope="module")
def history(built: Built) -> Built:
    """The same warehouse with a snapshot history, rebuilt with the recursive closure."""
    result = Built(
        built.work / "history",
        built.work / "history.duckdb",
        built.accounts,
        built.scores + [("unit_x", d, 20.0, "poor", 5000.0) for a, d, *_ in built.scores if a == "r4"],
        built.account_reasons,
        built.dimensions,
    )
    result.work.mkdir()
    shutil.copyfile(built.path, result.path)
    rewrite_snapshot_history(result.path, HISTORY_START, CHANGE_AT, OLD_PARENTS)
    con = duckdb.connect(str(result.path))
    insert_rows(
        con,
        "intermediate.int_account_health_scores",
        SCORE_COLUMNS,
        [row for row in result.scores if row[0] == "unit_x"],
    )
    con.close()
    build(
        result,
        [m for m in HIERARCHY_MODELS if m != "snap_crm__accounts"],
        exclude=("resource_type:unit_test",),
        hierarchy_closure_method="recursive",
    )
    return result


def test_rollup_uses_the_hierarchy_valid_each_day(history: Built):
    """Snapshot history: current CRM before the first snapshot, snapshot versions after."""
    history_start, change_at, old_parents = HISTORY_START, CHANGE_AT, OLD_PARENTS
    path = history.path
    versions = query(
        path,
        "select hierarchy_version_id, valid_from_date, valid_to_date "
        "from intermediate.int_account_hierarchy_versions order by valid_from_date nulls first",
    )
    assert versions == [
        ("current_crm", None, history_start.date()),
        ("snapshot_2026-10-04", history_start.date(), change_at.date()),
        ("snapshot_2026-11-03", change_at.date(), None),
    ]

    crm = current_parents(history.accounts)
    crm["dup"] = "r3"
    before_change = {**crm, **old_parents}

    def hierarchy_on(day: dt.date) -> dict[str, str | None]:
        return before_change if history_start.date() <= day < change_at.date() else crm

    names = {a.account_id: account_name(a.account_id) for a in history.accounts}
    names["unit_x"] = "unit_x"  # not in the CRM any more: named by its id
    expected = reference_rollup(
        hierarchy_on, history.scores, history.account_reasons, names, history.dimensions
    )
    actual = mart_rows(path)
    assert_matches_reference(actual, expected)
    assert any("unit_x no longer counts" in r["top_reasons"] for r in actual.values())
