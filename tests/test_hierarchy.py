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
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from _hierarchy_world import (
    SCORE_COLUMNS,
    WINDOW_END,
    WINDOW_START,
    Account,
    account_name,
    insert_rows,
    write_fixture,
)
from conftest import run_dbt, window_vars
from reference.hierarchy import clean_links, reference_rollup

TOLERANCE = 1e-9

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
    path = work / "health.duckdb"
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
        lambda day: parents,
        built.scores,
        built.account_reasons,
        names,
        built.dimensions,
        start=WINDOW_START,
        end=WINDOW_END,
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
        hierarchy_on,
        history.scores,
        history.account_reasons,
        names,
        history.dimensions,
        start=WINDOW_START,
        end=WINDOW_END,
    )
    actual = mart_rows(path)
    assert_matches_reference(actual, expected)
    assert any("unit_x no longer counts" in r["top_reasons"] for r in actual.values())
