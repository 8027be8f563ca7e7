"""Tests of the demo-data generator (healthgen). Small sizes: fast."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from healthgen.__main__ import main
from healthgen.catalog import FEATURE_CATALOG, PRODUCTS, SESSION_EVENT
from healthgen.generator import generate

END = dt.date(2026, 6, 30)

# The raw-source contract (shared/contracts/raw_sources.md), stated independently of the
# generator: table -> [(column, DuckDB type)] in contract order.
V, TS, B, BI, I_, D_ = "VARCHAR", "TIMESTAMP", "BOOLEAN", "BIGINT", "INTEGER", "DATE"
CONTRACT = {
    "crm.account": [("id", V), ("name", V), ("parent_id", V), ("type", V), ("industry", V),
                    ("billing_country", V), ("customer_tier__c", V), ("support_package__c", V),
                    ("owner_id", V), ("created_date", TS), ("is_deleted", B),
                    ("_loaded_at", TS)],
    "crm.contact": [("id", V), ("account_id", V), ("first_name", V), ("last_name", V),
                    ("email", V), ("title", V), ("persona__c", V), ("is_deleted", B),
                    ("created_date", TS), ("_loaded_at", TS)],
    "crm.opportunity": [("id", V), ("account_id", V), ("name", V), ("type", V),
                        ("stage_name", V), ("amount", "DECIMAL(18,2)"),
                        ("currency_iso_code", V), ("close_date", D_), ("is_closed", B),
                        ("is_won", B), ("created_date", TS), ("is_deleted", B),
                        ("_loaded_at", TS)],
    "crm.event": [("id", V), ("account_id", V), ("who_id", V), ("subject", V), ("type", V),
                  ("activity_date", TS), ("is_deleted", B), ("_loaded_at", TS)],
    "crm.success_goal": [("id", V), ("account_id", V), ("name", V), ("status", V),
                         ("target_date", D_), ("achieved_date", D_),
                         ("validated_by_customer", B), ("is_deleted", B), ("_loaded_at", TS)],
    "billing.customer": [("id", V), ("email", V), ("name", V), ("metadata", V),
                         ("currency", V), ("delinquent", B), ("created", TS), ("deleted", B),
                         ("_loaded_at", TS)],
    "billing.subscription": [("id", V), ("customer_id", V), ("status", V), ("created", TS),
                             ("start_date", TS), ("current_period_start", TS),
                             ("current_period_end", TS), ("cancel_at_period_end", B),
                             ("canceled_at", TS), ("ended_at", TS), ("_loaded_at", TS)],
    "billing.subscription_item": [("id", V), ("subscription_id", V), ("product_id", V),
                                  ("price_id", V), ("quantity", I_), ("unit_amount", BI),
                                  ("currency", V), ("interval", V), ("created", TS),
                                  ("_loaded_at", TS)],
    "billing.invoice": [("id", V), ("customer_id", V), ("subscription_id", V), ("status", V),
                        ("amount_due", BI), ("amount_paid", BI), ("amount_remaining", BI),
                        ("currency", V), ("created", TS), ("due_date", TS), ("paid_at", TS),
                        ("period_start", TS), ("period_end", TS), ("_loaded_at", TS)],
    "product.users": [("id", V), ("account_id", V), ("email", V), ("role", V),
                      ("is_licensed", B), ("created_at", TS), ("deactivated_at", TS),
                      ("_loaded_at", TS)],
    "product.tracks": [("id", V), ("user_id", V), ("event", V), ("feature", V),
                       ("product_id", V), ("timestamp", TS), ("received_at", TS),
                       ("_loaded_at", TS)],
    "support.organization": [("id", BI), ("external_id", V), ("name", V), ("_loaded_at", TS)],
    "support.ticket": [("id", BI), ("organization_id", BI), ("requester_email", V),
                       ("priority", V), ("status", V), ("type", V), ("created_at", TS),
                       ("solved_at", TS), ("satisfaction_rating", V), ("is_deleted", B),
                       ("_loaded_at", TS)],
    "survey.nps_response": [("id", V), ("email", V), ("score", I_), ("comment", V),
                            ("created_at", TS), ("_loaded_at", TS)],
    "crm.health_override__c": [("id", V), ("account__c", V), ("health_band__c", V),
                               ("health_score__c", "DOUBLE"), ("reason__c", V),
                               ("created_by_id", V), ("start_date__c", D_),
                               ("end_date__c", D_), ("is_deleted", B), ("_loaded_at", TS)],
}  # fmt: skip

BAD_KINDS = {
    "duplicate_older", "duplicate_newer", "soft_deleted", "null_key", "orphan",
    "hierarchy_cycle", "self_parent", "missing_parent", "nps_out_of_range",
    "nonpositive_amount", "future_timestamp", "null_timestamp", "malformed_metadata",
    "missing_metadata", "unknown_user", "unknown_band", "score_out_of_range",
    "end_before_start",
}  # fmt: skip

SMALL = {"accounts": 60, "days": 120, "seed": 11, "end_date": END}


def _gen(path, **kw) -> dict[str, int]:
    args = {**SMALL, **kw}
    return generate(str(path), **args)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "dirty.duckdb"
    counts = _gen(path, bad_rows_rate=0.05)
    return path, counts


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "clean.duckdb"
    counts = _gen(path, bad_rows_rate=0.0)
    return path, counts


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The default-size book (300 accounts x 400 days), clean."""
    path = tmp_path_factory.mktemp("gen") / "book.duckdb"
    generate(str(path), accounts=300, days=400, seed=42, bad_rows_rate=0.0, end_date=END)
    return path


def _con(path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _content_hash(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """Order-independent digest of a table's rows."""
    return con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {table} AS t").fetchone()


def test_tables_match_the_contract(dirty):
    path, counts = dirty
    with _con(path) as con:
        for table, columns in CONTRACT.items():
            schema, name = table.split(".")
            got = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema, name],
            ).fetchall()
            assert got == columns, table
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert n > 0 and n == counts[table], table
        for table in ("_demo.account_truth", "_demo.planted_bad_rows", "_demo.generation_params"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0


def test_deterministic_whatever_the_thread_count(dirty, tmp_path):
    path, _ = dirty
    again = tmp_path / "again.duckdb"
    _gen(again, bad_rows_rate=0.05, threads=1)
    tables = [*CONTRACT, "_demo.account_truth", "_demo.planted_bad_rows",
              "_demo.generation_params", "_demo.product_truth"]  # fmt: skip
    with _con(path) as a, _con(again) as b:
        for table in tables:
            assert _content_hash(a, table) == _content_hash(b, table), table


def test_other_seed_gives_other_data(dirty, tmp_path):
    path, _ = dirty
    other = tmp_path / "other.duckdb"
    _gen(other, bad_rows_rate=0.05, seed=12)
    with _con(path) as a, _con(other) as b:
        assert _content_hash(a, "crm.account") != _content_hash(b, "crm.account")
        assert _content_hash(a, "product.tracks") != _content_hash(b, "product.tracks")


def test_every_bad_kind_is_planted_and_recorded(dirty):
    path, _ = dirty
    with _con(path) as con:
        kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM _demo.planted_bad_rows")
                 .fetchall()}  # fmt: skip
        assert kinds == BAD_KINDS
        tables = {t for (t,) in con.execute("SELECT DISTINCT table_name FROM "
                                            "_demo.planted_bad_rows").fetchall()}  # fmt: skip
        assert tables == set(CONTRACT)
        # every table gets re-delivered copies and null keys
        for kind in ("duplicate_older", "duplicate_newer", "null_key"):
            n = con.execute("SELECT count(DISTINCT table_name) FROM _demo.planted_bad_rows "
                            "WHERE kind = ?", [kind]).fetchone()[0]  # fmt: skip
            assert n == len(CONTRACT), kind
        # each recorded row exists under its key (keys are null only for null_key)
        for table in CONTRACT:
            missing = con.execute(
                f"""SELECT count(*) FROM _demo.planted_bad_rows p
                    WHERE p.table_name = '{table}' AND p.record_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id::VARCHAR = p.record_id)"""
            ).fetchone()[0]
            assert missing == 0, table
        assert (
            con.execute(
                "SELECT count(*) FROM _demo.planted_bad_rows WHERE (record_id IS NULL) <> (kind = 'null_key')"
            ).fetchone()[0]
            == 0
        )
        # the rate is honoured roughly (5% of the clean rows of the largest table)
        n_tracks_bad = con.execute(
            "SELECT count(*) FROM _demo.planted_bad_rows WHERE table_name = 'product.tracks'"
        ).fetchone()[0]
        n_tracks = con.execute("SELECT count(*) FROM product.tracks").fetchone()[0]
        assert 0.03 < n_tracks_bad / n_tracks < 0.07


def test_planted_kinds_look_like_their_kind(dirty):
    path, _ = dirty
    with _con(path) as con:

        def ids(table: str, kind: str) -> str:
            return (
                f"(SELECT record_id FROM _demo.planted_bad_rows WHERE table_name = "
                f"'{table}' AND kind = '{kind}')"
            )

        assert con.execute(
            f"SELECT bool_and(score NOT BETWEEN 0 AND 10) FROM "
            f"survey.nps_response WHERE id IN "
            f"{ids('survey.nps_response', 'nps_out_of_range')}"
        ).fetchone()[0]
        # a 3-cycle and a 2-cycle, each member's parent is another member
        members = con.execute(
            f"SELECT id, parent_id FROM crm.account WHERE id IN {ids('crm.account', 'hierarchy_cycle')}"
        ).fetchall()
        ids_ = {i for i, _ in members}
        assert len(ids_) >= 5 and all(p in ids_ for _, p in members)
        assert con.execute(
            f"SELECT bool_and(parent_id = id) FROM crm.account WHERE id IN "
            f"{ids('crm.account', 'self_parent')}"
        ).fetchone()[0]
        assert (
            con.execute(
                f"SELECT count(*) FROM crm.account a WHERE id IN "
                f"{ids('crm.account', 'missing_parent')} AND EXISTS (SELECT 1 FROM "
                f"crm.account p WHERE p.id = a.parent_id)"
            ).fetchone()[0]
            == 0
        )
        # invalid overrides carry their problem and nothing else (not withdrawn)
        assert con.execute(
            f"SELECT bool_and(lower(trim(coalesce(health_band__c, ''))) NOT IN ('good', 'average', 'poor')) "
            f"FROM crm.health_override__c WHERE id IN {ids('crm.health_override__c', 'unknown_band')}"
        ).fetchone()[0]
        assert con.execute(
            f"SELECT bool_and(health_score__c NOT BETWEEN 0 AND 100 AND NOT is_deleted) "
            f"FROM crm.health_override__c WHERE id IN {ids('crm.health_override__c', 'score_out_of_range')}"
        ).fetchone()[0]
        assert con.execute(
            f"SELECT bool_and(end_date__c < start_date__c) FROM crm.health_override__c "
            f"WHERE id IN {ids('crm.health_override__c', 'end_before_start')}"
        ).fetchone()[0]
        # children below the broken nodes keep their links
        assert con.execute(f"SELECT count(*) FROM crm.account WHERE parent_id IN "
                           f"{ids('crm.account', 'self_parent')} AND parent_id <> id"
                           ).fetchone()[0] >= 1  # fmt: skip
        for meta in con.execute(
            f"SELECT metadata FROM billing.customer WHERE id IN "
            f"{ids('billing.customer', 'malformed_metadata')}"
        ).fetchall():
            with pytest.raises(ValueError):
                json.loads(meta[0])
        assert con.execute(f"SELECT count(*) FROM product.tracks WHERE id IN "
                           f"{ids('product.tracks', 'unknown_user')} AND user_id IN "
                           f"(SELECT id FROM product.users WHERE id IS NOT NULL)"
                           ).fetchone()[0] == 0  # fmt: skip
        assert con.execute(
            f"SELECT bool_and(timestamp > _loaded_at + INTERVAL 365 DAY) FROM "
            f"product.tracks WHERE id IN "
            f"{ids('product.tracks', 'future_timestamp')}"
        ).fetchone()[0]
        # a newer re-delivered copy is loaded later than the original
        n_newer = con.execute(
            f"""SELECT count(*) FROM (SELECT id, count(*) c, max(_loaded_at) - min(_loaded_at) d
                FROM crm.contact WHERE id IN {ids("crm.contact", "duplicate_newer")}
                GROUP BY id) WHERE c >= 2 AND d > INTERVAL 0 SECOND"""
        ).fetchone()[0]
        assert n_newer >= 1


def test_no_bad_rows_at_rate_zero(clean):
    path, _ = clean
    with _con(path) as con:
        assert con.execute("SELECT count(*) FROM _demo.planted_bad_rows").fetchone()[0] == 0
        for table in CONTRACT:
            n, distinct, nulls = con.execute(
                f"SELECT count(*), count(DISTINCT id), count(*) - count(id) FROM {table}"
            ).fetchone()
            assert n == distinct and nulls == 0, table
        checks = {
            "orphan contacts": "SELECT count(*) FROM crm.contact c WHERE NOT EXISTS "
                               "(SELECT 1 FROM crm.account a WHERE a.id = c.account_id)",
            "orphan items": "SELECT count(*) FROM billing.subscription_item i WHERE NOT EXISTS "
                            "(SELECT 1 FROM billing.subscription s WHERE s.id = i.subscription_id)",
            "unknown users": "SELECT count(*) FROM product.tracks t WHERE NOT EXISTS "
                             "(SELECT 1 FROM product.users u WHERE u.id = t.user_id)",
            "self parents": "SELECT count(*) FROM crm.account WHERE parent_id = id",
            "deleted": "SELECT count(*) FROM crm.account WHERE is_deleted",
            "nps range": "SELECT count(*) FROM survey.nps_response WHERE score NOT BETWEEN 0 AND 10",
            "quantities": "SELECT count(*) FROM billing.subscription_item WHERE quantity <= 0",
            "future events": "SELECT count(*) FROM product.tracks WHERE timestamp > _loaded_at",
            "null timestamps": "SELECT count(*) FROM product.tracks WHERE timestamp IS NULL",
            "bad json": "SELECT count(*) FROM billing.customer WHERE NOT json_valid(metadata) "
                        "OR metadata->>'crm_account_id' IS NULL",
        }  # fmt: skip
        for label, sql in checks.items():
            assert con.execute(sql).fetchone()[0] == 0, label


def test_reference_values(dirty):
    path, _ = dirty
    with _con(path) as con:
        products = {
            p for (p,) in con.execute("SELECT DISTINCT product_id FROM billing.subscription_item").fetchall()
        }
        assert products == set(PRODUCTS)
        catalog = {(p, f, e) for p, f, events in FEATURE_CATALOG for e in events}
        used = set(
            con.execute(
                "SELECT DISTINCT product_id, feature, event FROM product.tracks WHERE event <> ?",
                [SESSION_EVENT],
            ).fetchall()
        )
        assert used <= catalog
        assert (
            con.execute(
                "SELECT count(*) FROM product.tracks WHERE event = ? AND "
                "(feature IS NOT NULL OR product_id IS NOT NULL)",
                [SESSION_EVENT],
            ).fetchone()[0]
            == 0
        )
        assert con.execute(
            "SELECT bool_and(id ~ '^001[0-9A-Za-z]{12}[A-Z0-5]{3}$') FROM crm.account WHERE id IS NOT NULL"
        ).fetchone()[0]
        currencies = {c for (c,) in con.execute("SELECT DISTINCT currency FROM billing.customer").fetchall()}
        assert currencies <= {"usd", "eur", "gbp", "jpy", "aud", "cad"}


def test_annual_terms_renew_in_place_or_into_a_new_subscription(book):
    with _con(book) as con:
        # a new subscription per term: a renewed term ends the day the next one starts
        renewed, with_next = con.execute(
            """SELECT count(*), count(nxt.id) FROM billing.subscription s
               LEFT JOIN billing.subscription nxt ON nxt.customer_id = s.customer_id
                AND nxt.start_date = s.ended_at
               WHERE s.status = 'canceled' AND NOT s.cancel_at_period_end"""
        ).fetchone()
        assert renewed > 0 and renewed == with_next
        # every annual period is a whole year after the start; renewed in place, the period
        # has moved forward whole years on the same subscription
        periods = con.execute(
            """SELECT count(*) FILTER (WHERE s.current_period_start > s.start_date),
                      count(*) FILTER (WHERE s.current_period_end
                                       <> s.current_period_start + INTERVAL 1 YEAR
                                       OR datediff('month', s.start_date, s.current_period_start) % 12 <> 0)
               FROM billing.subscription s
               WHERE s.id IN (SELECT subscription_id FROM billing.subscription_item
                              WHERE interval = 'year')"""
        ).fetchone()
        assert periods[0] > 0 and periods[1] == 0
        styles = dict(con.execute(
            """SELECT renewal_style, count(*) FROM _demo.account_truth
               WHERE fate = 'renewal' AND billing_interval = 'year' GROUP BY 1"""
        ).fetchall())  # fmt: skip
        assert styles.get("in_place", 0) > 0 and styles.get("new_subscription", 0) > 0
        # several percent of the running customers are onboarding at the end date
        onboarding, running = con.execute(
            """WITH first AS (SELECT customer_id, min(start_date) AS first_start
                              FROM billing.subscription GROUP BY 1)
               SELECT count(*) FILTER (WHERE f.first_start > ?::DATE - 90), count(*)
               FROM billing.subscription s JOIN first f USING (customer_id)
               WHERE s.status IN ('active', 'past_due', 'trialing')""", [END]
        ).fetchone()  # fmt: skip
        assert 0.02 < onboarding / running < 0.2


def test_hierarchy_depth(book):
    with _con(book) as con:
        depth = con.execute(
            """WITH RECURSIVE tree(id, depth) AS (
                   SELECT id, 1 FROM crm.account WHERE parent_id IS NULL
                   UNION ALL
                   SELECT a.id, tree.depth + 1 FROM crm.account a
                   JOIN tree ON a.parent_id = tree.id)
               SELECT max(depth) FROM tree"""
        ).fetchone()[0]
        assert depth >= 4
        n, in_trees = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE parent_id IS NOT NULL OR id IN "
            "(SELECT parent_id FROM crm.account)) FROM crm.account"
        ).fetchone()
        assert 0.10 < in_trees / n < 0.20


def test_churn_is_preceded_by_fewer_active_users(book):
    """Planted signal: in the 90 days before a churn, a smaller share of the account's users
    is active than in the 90 days before a renewal."""
    with _con(book) as con:
        rows = con.execute(
            """WITH ev AS (
                   SELECT account_id, fate, event_date FROM _demo.account_truth
                   WHERE fate IN ('churn', 'renewal') AND NOT is_future
                     AND event_date >= (SELECT min(timestamp)::DATE FROM product.tracks) + 90),
               days AS (
                   SELECT u.account_id, t.timestamp::DATE AS day,
                          count(DISTINCT t.user_id) AS dau
                   FROM product.tracks t JOIN product.users u ON u.id = t.user_id
                   GROUP BY ALL),
               base AS (
                   SELECT ev.fate, ev.account_id, ev.event_date,
                          (SELECT count(*) FROM product.users u
                           WHERE u.account_id = ev.account_id
                             AND u.created_at < ev.event_date
                             AND coalesce(u.deactivated_at, ev.event_date)
                                 >= ev.event_date - 90) AS n_users
                   FROM ev),
               per AS (
                   SELECT base.fate, base.account_id, base.event_date,
                          coalesce(sum(days.dau), 0) / 90.0 / greatest(1, any_value(n_users))
                              AS active_share
                   FROM base LEFT JOIN days ON days.account_id = base.account_id
                    AND days.day >= base.event_date - 90 AND days.day < base.event_date
                   WHERE base.n_users >= 2
                   GROUP BY ALL)
               SELECT fate, count(*), avg(active_share) FROM per GROUP BY fate"""
        ).fetchall()
    stats = {fate: (n, share) for fate, n, share in rows}
    assert stats["churn"][0] >= 5 and stats["renewal"][0] >= 20
    assert stats["churn"][1] < 0.85 * stats["renewal"][1]


def test_overrides_tell_their_stories(book):
    """The CSM overrides landed: expired, open-ended, withdrawn (deleted), overlapping (two
    starts), two starting the same day, one ending within a week; authors are the accounts'
    CSMs (CRM user ids), reasons are business text."""
    end = END
    with _con(book) as con:
        rows = con.execute(
            "SELECT o.id, o.account__c, o.start_date__c, o.end_date__c, o.is_deleted, o.created_by_id, "
            "a.owner_id, o.reason__c FROM crm.health_override__c o JOIN crm.account a ON a.id = o.account__c"
        ).fetchall()
    assert 20 <= len(rows) <= 40  # a few: one set per 100 accounts
    assert any(e is not None and e < end for _, _, _, e, *_ in rows), "an expired override"
    assert any(e is None for _, _, _, e, *_ in rows), "an open-ended override"
    assert any(row[4] for row in rows), "a withdrawn (deleted) override"
    assert any(e is not None and end < e <= end + dt.timedelta(days=7) for _, _, _, e, *_ in rows)
    by_account: dict[str, list[tuple]] = {}
    for row in rows:
        by_account.setdefault(row[1], []).append(row)
    pairs = [sorted(r[2] for r in group) for group in by_account.values() if len(group) == 2]
    assert any(a < b for a, b in pairs), "overlapping overrides with different starts"
    assert any(a == b for a, b in pairs), "two overrides starting the same day"
    assert all(author == owner for *_, author, owner, _ in rows)
    assert not any("@" in reason for *_, reason in rows)


def test_module_abandonment_is_planted(book):
    """Planted product-level signal: an add-on module whose share of the account's events falls
    to a trickle after its fade, while the account keeps using the product."""
    with _con(book) as con:
        rows = con.execute(
            """WITH truth AS (SELECT * FROM _demo.product_truth),
               ev AS (SELECT u.account_id, t.product_id, t.timestamp::DATE AS day
                      FROM product.tracks t JOIN product.users u ON u.id = t.user_id
                      WHERE t.product_id IS NOT NULL)
               SELECT truth.account_id, truth.product_id,
                   count(*) FILTER (WHERE ev.day < truth.signal_start_date
                                    AND ev.day >= truth.signal_start_date - 30
                                    AND ev.product_id = truth.product_id)
                   / greatest(1, count(*) FILTER (WHERE ev.day < truth.signal_start_date
                                                  AND ev.day >= truth.signal_start_date - 30)) AS before,
                   count(*) FILTER (WHERE ev.day > ? - 30 AND ev.product_id = truth.product_id)
                   / greatest(1, count(*) FILTER (WHERE ev.day > ? - 30)) AS after,
                   count(*) FILTER (WHERE ev.day > ? - 30) AS events_after
               FROM truth JOIN ev ON ev.account_id = truth.account_id
               GROUP BY ALL""",
            [END, END, END],
        ).fetchall()
    assert len(rows) >= 3
    for account, product, before, after, events_after in rows:
        assert product != "prod_core"
        assert events_after > 20, account  # the account itself keeps using the product
        assert after < 0.25 * before, (account, product, before, after)


def test_cli(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    rc = main(["--duckdb-path", str(path), "--accounts", "25", "--days", "40", "--seed", "3",
               "--end-date", "2026-01-31", "--bad-rows-rate", "0"])  # fmt: skip
    assert rc == 0
    out = capsys.readouterr().out
    assert "product.tracks" in out
    with _con(path) as con:
        params = dict(con.execute("SELECT key, value FROM _demo.generation_params").fetchall())
    assert params["end_date"] == "2026-01-31" and params["accounts"] == "25"
