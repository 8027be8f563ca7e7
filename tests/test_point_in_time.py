"""A score on day d uses only what was known on d.

One generated book is built twice with the real dbt CLI: as generated, and with every
annual renewal of a late-window stretch turned into a churn the way Stripe records one
(the customer gives notice 40 days before the term ends: canceled_at, then the
subscription ends on its period end and nothing follows). Both renewal styles are
rewritten: renewed in place (the same subscription, whose period had moved forward) and
renewed into a new subscription (which is removed with its items and invoices). Until the
notice, nobody could know, so no score, band, profile, lifecycle stage or renewal date
before that day may change; the outcomes on the term ends must turn from renewed to
churned.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import END_DATE, generate, run_dbt, window_vars

WINDOW_DAYS = 150
START_DATE = END_DATE - dt.timedelta(days=WINDOW_DAYS - 1)
NOTICE_DAYS = 40
# Renewals turned into churns: late enough for 40 days of notice inside the window.
FIRST_RENEWAL = START_DATE + dt.timedelta(days=NOTICE_DAYS + 5)
LAST_RENEWAL = END_DATE - dt.timedelta(days=10)
SELECTION = ["+fct_account_health_daily", "+fct_indicator_scores_daily", "+fct_customer_outcomes"]
COMPARED = {
    "marts.fct_account_health_daily": "account_id, as_of_date",
    "marts.fct_indicator_scores_daily": "account_id, as_of_date, indicator_id",
    "intermediate.int_account_days": "account_id, as_of_date",
}


def _years_before(timestamp: dt.datetime, day: dt.date) -> dt.datetime:
    """The period boundary on `day`: `timestamp` moved back whole years (same time of day)."""
    return timestamp.replace(year=timestamp.year - round((timestamp.date() - day).days / 365.25))


def _turn_renewals_into_churns(path: Path) -> list[tuple[str, str, dt.date, str]]:
    """Rewrite the raw billing of every annual renewal between FIRST_ and LAST_RENEWAL as a
    churn with notice; returns (account_id, subscription_id, term end, style)."""
    with duckdb.connect(str(path)) as con:
        renewals = con.execute(
            """
            select account_id, subscription_id, event_date, renewal_style
            from _demo.account_truth
            where fate = 'renewal' and billing_interval = 'year'
                and event_date between ? and ?
            order by account_id, event_date
            """,
            [FIRST_RENEWAL, LAST_RENEWAL],
        ).fetchall()
        changed = []
        seen: set[str] = set()
        for account_id, subscription_id, term_end, style in renewals:
            if account_id in seen:
                continue
            seen.add(account_id)
            customer_id, period_end = con.execute(
                "select customer_id, max(current_period_end) from billing.subscription where id = ? group by 1",
                [subscription_id],
            ).fetchone()
            if style == "in_place":
                ended = _years_before(period_end, term_end)
                later_subscriptions = []
            else:
                ended = period_end
                later_subscriptions = [
                    row[0]
                    for row in con.execute(
                        "select distinct id from billing.subscription where customer_id = ? and start_date >= ?",
                        [customer_id, ended],
                    ).fetchall()
                ]
            assert ended.date() == term_end, (subscription_id, ended, term_end)
            notice = ended - dt.timedelta(days=NOTICE_DAYS)
            con.execute(
                """
                update billing.subscription
                set status = 'canceled', cancel_at_period_end = true, canceled_at = ?,
                    ended_at = ?, current_period_start = ?, current_period_end = ?
                where id = ?
                """,
                [notice, ended, _years_before(ended, term_end.replace(year=term_end.year - 1)), ended,
                 subscription_id],
            )  # fmt: skip
            # What the renewal booked after the term end: later terms' invoices, items
            # added later, the next subscription(s).
            con.execute(
                "delete from billing.invoice where subscription_id = ? and created >= ?",
                [subscription_id, ended],
            )
            con.execute(
                "delete from billing.subscription_item where subscription_id = ? and created >= ?",
                [subscription_id, ended],
            )
            for later in later_subscriptions:
                for table, column in (("invoice", "subscription_id"), ("subscription_item", "subscription_id"),
                                      ("subscription", "id")):  # fmt: skip
                    con.execute(f"delete from billing.{table} where {column} = ?", [later])
            changed.append((account_id, subscription_id, term_end, style))
    return changed


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list]:
    work = tmp_path_factory.mktemp("point_in_time")
    renewed, churned = work / "renewed" / "health.duckdb", work / "churned" / "health.duckdb"
    renewed.parent.mkdir()
    churned.parent.mkdir()
    generate(renewed, accounts=120, days=400, seed=7, bad_rows_rate=0.0)
    shutil.copyfile(renewed, churned)
    changed = _turn_renewals_into_churns(churned)
    for path in (renewed, churned):
        run_dbt(
            [
                "build",
                "--select",
                *SELECTION,
                "--exclude-resource-type",
                "test",
                "unit_test",
                "--vars",
                window_vars(START_DATE, END_DATE),
            ],
            path,
            path.parent,
        )
    return renewed, churned, changed


def test_both_renewal_styles_are_rewritten(books: tuple[Path, Path, list]) -> None:
    _, _, changed = books
    styles = {style for *_, style in changed}
    assert styles == {"in_place", "new_subscription"}, changed


def test_a_later_cancellation_changes_no_earlier_score(books: tuple[Path, Path, list]) -> None:
    renewed, churned, changed = books
    with duckdb.connect(str(churned)) as con:
        con.execute(f"attach '{renewed}' as renewed (read_only)")
        for table, key in COMPARED.items():
            # Every row before the account's notice day, on both sides, compared whole.
            notices = " union all ".join(
                f"select '{account}' as account_id, date '{term_end - dt.timedelta(days=NOTICE_DAYS)}' as notice_date"
                for account, _, term_end, _ in changed
            )
            rows = f"""
                select rows.* from {{side}}{table} as rows
                left join ({notices}) as notices on rows.account_id = notices.account_id
                where rows.as_of_date < coalesce(notices.notice_date, date '9999-12-31')
            """
            both = rows.format(side="")
            other = rows.format(side="renewed.")
            count = con.execute(f"select count(*) from ({both})").fetchone()[0]
            differing = (
                con.execute(f"select count(*) from (({both}) except all ({other})) as d").fetchone()[0]
                + con.execute(f"select count(*) from (({other}) except all ({both})) as d").fetchone()[0]
            )
            assert count > 0 and differing == 0, f"{table}: {differing} of {count} rows differ ({key})"
        # The renewal window came from the term structure: the churners were in it 60 days
        # before their term end on both books (not only where the end was known).
        for account, _, term_end, _ in changed:
            stages = con.execute(
                """
                select churned.lifecycle_stage, renewed.lifecycle_stage, churned.next_renewal_date
                from intermediate.int_account_days as churned
                join renewed.intermediate.int_account_days as renewed using (account_id, as_of_date)
                where account_id = ? and as_of_date = ?
                """,
                [account, term_end - dt.timedelta(days=60)],
            ).fetchone()
            assert stages is not None, (account, term_end)
            assert stages[0] == stages[1] and stages[2] == term_end, (account, term_end, stages)
            assert stages[0] in ("renewal", "onboarding"), (account, term_end, stages)


def test_the_renewals_became_churns(books: tuple[Path, Path, list]) -> None:
    renewed, churned, changed = books
    for path, expected in ((renewed, {"renewed", "expanded", "contracted"}), (churned, {"churned"})):
        with duckdb.connect(str(path), read_only=True) as con:
            for account, _, term_end, style in changed:
                result = con.execute(
                    "select outcome_result from marts.fct_customer_outcomes where account_id = ? and outcome_date = ?",
                    [account, term_end],
                ).fetchone()
                assert result is not None and result[0] in expected, (
                    path.stem,
                    account,
                    term_end,
                    style,
                    result,
                )
