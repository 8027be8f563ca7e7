"""The fixture world of tests/test_hierarchy.py: a small CRM hierarchy with every awkward
case (depth-8 chain, 1 x 500 fan-out, forest, 3-cycle, self-parent, orphan, deleted parent,
re-delivered rows) and stand-ins for the scoring tables the roll-up reads, written to a
DuckDB file (`write_fixture`), and the bulk insert the tests use to change it."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from reference.hierarchy import CHANGE_DAYS

WINDOW_START = dt.date(2026, 11, 1)
WINDOW_END = dt.date(2026, 11, 5)
SPAN_START = WINDOW_START - dt.timedelta(days=CHANGE_DAYS)
LOADED_AT = dt.datetime(2026, 10, 1, 6, 0)
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
