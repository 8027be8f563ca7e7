"""Reasons that add up: every score_change_30d is the sum of named parts (a profile change,
indicators whose data came or went, each indicator's own change), top_reasons lists the
largest parts first, and a hierarchy node's reasons follow from its members' parts.

One generated book is built with the real dbt CLI (the account and hierarchy marts and
everything upstream, without the data tests, for speed; the dbt data test
assert_score_change_parts_sum_to_the_change says the same on every build)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import END_DATE, generate, run_dbt, window_vars

WINDOW_DAYS = 45
START_DATE = END_DATE - dt.timedelta(days=WINDOW_DAYS - 1)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    work = tmp_path_factory.mktemp("score_change_parts")
    path: Path = work / "health.duckdb"
    generate(path, accounts=150, days=240, seed=13, bad_rows_rate=0.0)
    run_dbt(
        ["build", "--select", "+fct_account_health_daily", "+fct_hierarchy_health_daily",
         "--exclude-resource-type", "test", "unit_test", "--vars", window_vars(START_DATE, END_DATE)],
        path,
        work,
    )  # fmt: skip
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def test_parts_sum_to_the_change_on_every_account_day(con: duckdb.DuckDBPyConnection) -> None:
    days, worst, without_parts = con.execute(
        """
        with parts as (
            select account_id, as_of_date, sum(points) as total
            from intermediate.int_health_score_change_parts
            group by all
        )
        select count(*), max(abs(health.score_change_30d - coalesce(parts.total, 0))),
            count(*) filter (where parts.total is null)
        from marts.fct_account_health_daily as health
        left join parts using (account_id, as_of_date)
        where health.score_change_30d is not null
        """
    ).fetchone()
    print(f"\n{days} account-days with a 30-day change; largest |change - sum of parts| = {worst:.2e}")
    assert days > 1000 and without_parts == 0
    assert worst < 1e-6


def test_top_reasons_are_the_largest_parts_first(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        with ranked as (
            select account_id, as_of_date, reason_text,
                row_number() over (partition by account_id, as_of_date
                                   order by abs(points) desc, part_kind, part_key) as rank
            from intermediate.int_health_score_change_parts
            where abs(points) >= 0.5
        )
        select health.top_reasons, ranked.reason_text
        from marts.fct_account_health_daily as health
        inner join ranked using (account_id, as_of_date)
        where ranked.rank = 1
        """
    ).fetchall()
    assert rows
    assert all(top.split("; ")[0] == largest for top, largest in rows)
    kinds = dict(
        con.execute(
            """
            select part_kind, count(*) from intermediate.int_health_score_change_parts
            where abs(points) >= 0.5 group by 1
            """
        ).fetchall()
    )
    # Profile moves (onboarding ends, renewal windows open) and data coming or going happen.
    assert kinds.get("profile_change", 0) > 0 and kinds.get("data_change", 0) > 0, kinds
    example = con.execute(
        "select top_reasons from marts.fct_account_health_daily where top_reasons like 'profile % -> %' limit 1"
    ).fetchone()
    assert example is not None
    print(f"\ne.g. {example[0]}")


def test_node_reasons_follow_from_member_parts(con: duckdb.DuckDBPyConnection) -> None:
    """A node names the members that moved it; what it says of each is that member's
    largest part."""
    members = dict(
        ((account, day), text)
        for account, day, text in con.execute(
            """
            select account_id, as_of_date, reason_text from (
                select *, row_number() over (partition by account_id, as_of_date
                                             order by abs(points) desc, part_kind, part_key) as rank
                from intermediate.int_health_score_change_parts where abs(points) >= 0.5
            ) where rank = 1
            """
        ).fetchall()
    )
    names = dict(con.execute("select account_id, account_name from staging.base_crm__accounts").fetchall())
    by_name = {name: account for account, name in names.items() if name}
    nodes = con.execute(
        """
        select account_id, as_of_date, top_reasons from marts.fct_hierarchy_health_daily
        where rollup_method = 'account_count' and top_reasons like '%: %'
        """
    ).fetchall()
    checked = 0
    for _, day, text in nodes:
        for reason in text.split("; "):
            if ": " not in reason:
                continue
            head, member_reason = reason.split(": ", 1)
            member = next(
                (by_name[n] for n in sorted(by_name, key=len, reverse=True) if head.startswith(n)), None
            )
            if member is None or (member, day) not in members:
                continue
            # The member's own text may hold '; ' itself only between its reasons: the node
            # quotes the first, the largest part.
            assert member_reason == members[(member, day)], (head, member_reason, members[(member, day)])
            checked += 1
    print(f"\n{checked} node reasons checked against their members' largest parts")
    assert checked > 20
