"""Demo-data generator of the customer-health warehouse.

Writes the 15 raw source tables of `shared/contracts/raw_sources.md` (schemas crm,
billing, product, support, survey; crm.health_override__c is optional in the contract)
into a DuckDB file, plus the ground truth in schema
`_demo`: `account_truth` (the fate planted for each renewal / expansion / churn and the
leading signals planted before it), `product_truth` (add-on modules a customer stops
using while still paying for them), `planted_bad_rows` and `generation_params`.

Same arguments => identical table contents (numpy streams seeded per component; product
events drawn inside DuckDB from hashes of (seed, user, day, k), independent of threads).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import duckdb
import numpy as np
import pandas as pd

from healthgen import __version__
from healthgen.accounts import Accounts, Contacts, build_accounts, build_contacts
from healthgen.activity import (
    Daily,
    Users,
    _event_id_sql,
    active_days_sql,
    build_daily,
    build_users,
    events_select_sql,
    register_activity_frames,
)
from healthgen.adoption import Abandonment, plan_abandonments, truth_frame
from healthgen.bad import Injector, plant_hierarchy, tracks_bad_sql
from healthgen.catalog import PRODUCTS, price_id
from healthgen.common import (
    DAY_SECONDS,
    NULL_INT,
    GenConfig,
    IdFactory,
    obj,
    rng_for,
    to_date,
    to_ts,
)
from healthgen.engagement import (
    build_crm_events,
    build_goals,
    build_nps,
    build_opportunities,
    build_support,
)
from healthgen.lifecycle import (
    SIGNALS,
    Billing,
    Lifecycle,
    build_billing,
    item_unit_amounts,
    simulate,
)
from healthgen.overrides import build_overrides

RAW_SCHEMAS = ("crm", "billing", "product", "support", "survey")
DEMO_SCHEMA = "_demo"

V, TS, B, BI, I_, D_ = "VARCHAR", "TIMESTAMP", "BOOLEAN", "BIGINT", "INTEGER", "DATE"
# The raw-source contract: table -> [(column, type)] in contract order.
RAW_TABLES: dict[str, list[tuple[str, str]]] = {
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
    # Optional in the contract: a CRM without the custom object has no such table.
    "crm.health_override__c": [("id", V), ("account__c", V), ("health_band__c", V),
                               ("health_score__c", "DOUBLE"), ("reason__c", V),
                               ("created_by_id", V), ("start_date__c", D_), ("end_date__c", D_),
                               ("is_deleted", B), ("_loaded_at", TS)],
}  # fmt: skip

DEMO_TABLES: dict[str, list[tuple[str, str]]] = {
    "_demo.account_truth": [
        ("account_id", V), ("fate", V), ("event_date", D_), ("signal_start_date", D_),
        ("is_future", B), ("billing_interval", V), ("customer_tier", V), ("product_id", V),
        ("seats_before", I_), ("seats_after", I_), ("subscription_id", V),
        ("renewal_style", V), ("noise", V), ("signals", V),
        *[(f"has_{s}", B) for s in SIGNALS],
    ],
    "_demo.planted_bad_rows": [("table_name", V), ("record_id", V), ("kind", V)],
    "_demo.generation_params": [("key", V), ("value", V)],
    "_demo.product_truth": [("account_id", V), ("product_id", V), ("signal", V),
                            ("signal_start_date", D_), ("fade_days", I_)],
}  # fmt: skip


def default_end_date() -> dt.date:
    """Yesterday by the project's one clock (HEALTH_NOW, else the real clock)."""
    from customer_health.config import yesterday

    return yesterday()


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.t = self.t0

    def step(self, label: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        if not self.quiet:
            count = f"{rows:>12,} rows" if rows is not None else " " * 17
            print(f"  {label:<28}{count}  {now - self.t:7.2f}s", flush=True)
        self.t = now

    def total(self) -> float:
        return time.perf_counter() - self.t0


def _write(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame,
           columns: list[tuple[str, str]]) -> int:  # fmt: skip
    """CREATE TABLE `table` AS SELECT the contract columns, cast, from a registered frame."""
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.register("_frame", frame)
    select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in columns)
    con.execute(f"CREATE TABLE {table} AS SELECT {select} FROM _frame")
    con.unregister("_frame")
    return len(frame)


def _ts(seconds: np.ndarray) -> np.ndarray:
    return to_ts(np.asarray(seconds, dtype=np.int64))


# ---------------------------------------------------------------------------------------
# Frames of the clean tables


def _account_frame(cfg: GenConfig, acc: Accounts, lc: Lifecycle) -> pd.DataFrame:
    rng = rng_for(cfg.seed, "accounts")
    n = acc.n
    typ = np.where(
        acc.kind == "prospect",
        "Prospect",
        np.where(
            acc.kind == "partner",
            "Partner",
            np.where(lc.last_day >= cfg.end_day, "Customer", "Former Customer"),
        ),
    )
    support = acc.support_package.copy()
    support[acc.kind != "payer"] = None
    created_s = acc.created_day * DAY_SECONDS + rng.integers(7 * 3600, 19 * 3600, n)
    loaded = np.maximum(cfg.load_cap_s - rng.integers(3600, 120 * DAY_SECONDS, n), created_s + 60)
    return pd.DataFrame({
        "id": acc.id,
        "name": acc.name,
        "parent_id": obj([acc.id[p] if p >= 0 else None for p in acc.parent]),
        "type": typ.astype(object),
        "industry": acc.industry,
        "billing_country": acc.billing_country,
        "customer_tier__c": acc.tier_reported,
        "support_package__c": support,
        "owner_id": acc.owner,
        "created_date": _ts(created_s),
        "is_deleted": np.zeros(n, dtype=bool),
        "_loaded_at": _ts(np.minimum(loaded, cfg.load_cap_s)),
    })  # fmt: skip


def _contact_frame(cfg: GenConfig, acc: Accounts, con_: Contacts) -> pd.DataFrame:
    rng = rng_for(cfg.seed, "contacts")
    loaded = np.maximum(cfg.load_cap_s - rng.integers(3600, 200 * DAY_SECONDS, con_.n),
                        con_.created_s + 60)  # fmt: skip
    return pd.DataFrame({
        "id": con_.id,
        "account_id": acc.id[con_.account],
        "first_name": con_.first_name,
        "last_name": con_.last_name,
        "email": con_.email,
        "title": con_.title,
        "persona__c": con_.persona,
        "is_deleted": np.zeros(con_.n, dtype=bool),
        "created_date": _ts(con_.created_s),
        "_loaded_at": _ts(np.minimum(loaded, cfg.load_cap_s)),
    })  # fmt: skip


def _billing_frames(cfg: GenConfig, acc: Accounts, lc: Lifecycle, bill: Billing
                    ) -> dict[str, pd.DataFrame]:  # fmt: skip
    rng = rng_for(cfg.seed, "invoices")
    cap = cfg.load_cap_s
    # customers
    ca = bill.cust_acct
    nc = len(ca)
    meta = []
    for a in ca.tolist():
        extra = rng.random()
        if extra < 0.15:
            meta.append(json.dumps({"crm_account_id": acc.id[a], "plan": acc.tier[a]}))
        elif extra < 0.2:
            meta.append(json.dumps({"source": "sales", "crm_account_id": acc.id[a]}))
        else:
            meta.append(json.dumps({"crm_account_id": acc.id[a]}))
    mailbox = np.array(["billing", "accounts.payable", "finance", "ap"], dtype=object)
    email = obj([f"{mailbox[rng.integers(4)]}@{acc.domain[a]}" for a in ca.tolist()])
    created_s = (lc.first_start[ca] - rng.integers(1, 10, nc)) * DAY_SECONDS + bill.anchor[ca]
    customers = pd.DataFrame({
        "id": bill.cust_id,
        "email": email,
        "name": acc.name[ca],
        "metadata": obj(meta),
        "currency": acc.currency[ca],
        "delinquent": bill.delinquent,
        "created": _ts(created_s),
        "deleted": np.zeros(nc, dtype=bool),
        "_loaded_at": _ts(np.maximum(cap - rng.integers(3600, 60 * DAY_SECONDS, nc),
                                     created_s + 60)),
    })  # fmt: skip

    # subscriptions
    sa = np.array(lc.sub_acct, dtype=np.int64)
    ns = len(sa)
    anchor = bill.anchor[sa]

    def at(days: list[int] | np.ndarray) -> np.ndarray:
        d = np.asarray(days, dtype=np.int64)
        return np.where(d >= 0, d * DAY_SECONDS + anchor, NULL_INT)

    start_s = at(lc.sub_start)
    canceled = np.array(lc.sub_canceled, dtype=np.int64)
    ended = np.array(lc.sub_ended, dtype=np.int64)
    # a churn notice arrives during the working day; renewals roll over at the anchor
    canceled_s = np.where(canceled >= 0, np.where(canceled == ended, at(canceled),
                          canceled * DAY_SECONDS + rng.integers(8 * 3600, 18 * 3600, ns)),
                          NULL_INT)  # fmt: skip
    last_change = np.maximum.reduce([start_s, canceled_s, at(ended)])
    sub_loaded = np.maximum(np.minimum(last_change + rng.integers(300, 6 * 3600, ns), cap),
                            last_change)  # fmt: skip
    running = ended < 0  # running subscriptions are re-synced at each period change
    sub_loaded = np.where(running, np.maximum(sub_loaded, np.minimum(
        at(lc.sub_pstart) + rng.integers(300, 6 * 3600, ns), cap)), sub_loaded)  # fmt: skip
    subs = pd.DataFrame({
        "id": bill.sub_id,
        "customer_id": bill.cust_id[[bill.acct_cust[a] for a in lc.sub_acct]],
        "status": obj(lc.sub_status),
        "created": _ts(start_s - rng.integers(0, 3600, ns)),
        "start_date": _ts(start_s),
        "current_period_start": _ts(at(lc.sub_pstart)),
        "current_period_end": _ts(at(lc.sub_pend)),
        "cancel_at_period_end": np.array(lc.sub_cancel_at_end, dtype=bool),
        "canceled_at": _ts(canceled_s),
        "ended_at": _ts(at(ended)),
        "_loaded_at": _ts(sub_loaded),
    })  # fmt: skip

    # items
    isub = np.array(lc.item_sub, dtype=np.int64)
    ni = len(isub)
    iacct = sa[isub]
    unit = item_unit_amounts(acc, lc)
    interval = obj([lc.sub_interval[s] for s in isub.tolist()])
    created_day = np.array(lc.item_created, dtype=np.int64)
    at_start = created_day == np.array(lc.sub_start, dtype=np.int64)[isub]
    item_created = np.where(
        at_start,
        created_day * DAY_SECONDS + bill.anchor[iacct],
        created_day * DAY_SECONDS + rng.integers(9 * 3600, 18 * 3600, ni),
    )
    items = pd.DataFrame({
        "id": bill.item_id,
        "subscription_id": bill.sub_id[isub],
        "product_id": obj([PRODUCTS[m] for m in lc.item_mod]),
        "price_id": obj([price_id(PRODUCTS[m], acc.currency[a], iv)
                         for m, a, iv in zip(lc.item_mod, iacct.tolist(), interval,
                                             strict=True)]),
        "quantity": np.array(lc.item_qty, dtype=np.int64),
        "unit_amount": unit,
        "currency": acc.currency[iacct],
        "interval": interval,
        "created": _ts(item_created),
        "_loaded_at": _ts(np.maximum(np.minimum(item_created + rng.integers(300, 6 * 3600, ni),
                                                cap), item_created)),
    })  # fmt: skip

    # invoices
    inv = bill.inv
    m = len(inv["id"])
    last = np.maximum(inv["created_s"], np.where(inv["paid_s"] != NULL_INT, inv["paid_s"], 0))
    invoices = pd.DataFrame({
        "id": inv["id"],
        "customer_id": bill.cust_id[inv["cust"]],
        "subscription_id": bill.sub_id[inv["sub"]],
        "status": inv["status"],
        "amount_due": inv["amount_due"],
        "amount_paid": inv["amount_paid"],
        "amount_remaining": inv["amount_remaining"],
        "currency": acc.currency[inv["acct"]],
        "created": _ts(inv["created_s"]),
        "due_date": _ts(inv["due_s"]),
        "paid_at": _ts(inv["paid_s"]),
        "period_start": _ts(inv["pstart_s"]),
        "period_end": _ts(inv["pend_s"]),
        "_loaded_at": _ts(np.maximum(np.minimum(last + rng.integers(300, 6 * 3600, m), cap),
                                     last)),
    })  # fmt: skip
    invoices = invoices.sort_values(["created", "id"], kind="stable").reset_index(drop=True)
    return {"billing.customer": customers, "billing.subscription": subs,
            "billing.subscription_item": items, "billing.invoice": invoices}  # fmt: skip


def _users_frame(cfg: GenConfig, acc: Accounts, users: Users) -> pd.DataFrame:
    rng = rng_for(cfg.seed, "users")
    cap = cfg.load_cap_s
    last = np.maximum(users.created_s, np.where(users.deact_s != NULL_INT, users.deact_s, 0))
    # the directory is re-synced often: most users were loaded in the last days
    recent = cap - rng.integers(600, 10 * DAY_SECONDS, users.n)
    loaded = np.where(
        rng.random(users.n) < 0.7,
        np.maximum(recent, last),
        np.minimum(last + rng.integers(300, 6 * 3600, users.n), cap),
    )
    return pd.DataFrame({
        "id": users.id,
        "account_id": acc.id[users.acct],
        "email": users.email,
        "role": users.role,
        "is_licensed": users.is_licensed,
        "created_at": _ts(users.created_s),
        "deactivated_at": _ts(users.deact_s),
        "_loaded_at": _ts(np.maximum(loaded, last)),
    })  # fmt: skip


def _truth_frame(cfg: GenConfig, acc: Accounts, lc: Lifecycle, bill: Billing) -> pd.DataFrame:
    rows = []
    for f in lc.fates:
        if f.day < cfg.start_day:
            continue
        sig = [s for s in SIGNALS if f.flags.get(s)]
        rows.append({
            "account_id": acc.id[f.acct],
            "fate": f.fate,
            "event_date": f.day,
            "signal_start_date": f.signal_start if f.signal_start >= 0 else NULL_INT,
            "is_future": f.day > cfg.end_day,
            "billing_interval": f.interval,
            "customer_tier": acc.tier[f.acct],
            "product_id": PRODUCTS[f.product] if f.product >= 0 else None,
            "seats_before": f.seats_before,
            "seats_after": f.seats_after,
            "subscription_id": bill.sub_id[f.sub],
            # annual terms: renewed in place (same subscription) or as a new subscription
            "renewal_style": (None if f.interval != "year"
                              else "in_place" if lc.sub_in_place[f.sub] else "new_subscription"),
            "noise": f.noise,
            "signals": ",".join(sig) if sig else None,
            **{f"has_{s}": bool(f.flags.get(s)) for s in SIGNALS},
        })  # fmt: skip
    df = pd.DataFrame(rows, columns=[c for c, _ in DEMO_TABLES["_demo.account_truth"]])
    df["event_date"] = to_date(df["event_date"].to_numpy(dtype=np.int64))
    df["signal_start_date"] = to_date(df["signal_start_date"].to_numpy(dtype=np.int64))
    return df.sort_values(["account_id", "event_date", "fate"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------


def generate(
    duckdb_path: str | os.PathLike[str],
    accounts: int = 300,
    days: int = 400,
    seed: int = 42,
    bad_rows_rate: float = 0.01,
    end_date: dt.date | str | None = None,
    events_per_user_day: float = 4.0,
    quiet: bool = True,
    threads: int | None = None,
) -> dict[str, int]:
    """Generate the demo book of business into `duckdb_path`; returns rows per table."""
    if isinstance(end_date, str):
        end_date = dt.date.fromisoformat(end_date)
    if accounts < 1 or days < 30:
        raise ValueError("need at least 1 account and 30 days")
    if not 0 <= bad_rows_rate < 0.5:
        raise ValueError("bad_rows_rate must be in [0, 0.5)")
    if not 1.0 <= events_per_user_day <= 100.0:
        raise ValueError("events_per_user_day must be in [1, 100]")
    cfg = GenConfig(accounts=accounts, days=days, seed=seed, bad_rows_rate=bad_rows_rate,
                    end_date=end_date or default_end_date(),
                    events_per_user_day=events_per_user_day)  # fmt: skip
    prog = _Progress(quiet)
    if not quiet:
        print(
            f"Generating {accounts:,} accounts x {days} days (ending {cfg.end_date}, "
            f"seed {seed}, bad rows {bad_rows_rate:g}) into {duckdb_path}",
            flush=True,
        )
    ids = IdFactory(seed)
    acc = build_accounts(cfg, ids)
    lc = simulate(cfg, acc)
    con_ = build_contacts(cfg, acc, ids, lc.first_start)
    bill = build_billing(cfg, acc, lc, ids)
    prog.step("accounts + contract history")
    daily = build_daily(cfg, acc, lc)
    users = build_users(cfg, acc, lc, con_, ids)
    abandoned = plan_abandonments(cfg, acc, daily.active, daily.mods)
    prog.step("daily activity state + users")

    brng = rng_for(seed, "bad")
    sf_prefix = {"crm.account": "001", "crm.contact": "003", "crm.opportunity": "006",
                 "crm.event": "00U", "crm.success_goal": "a0G",
                 "crm.health_override__c": "a0O"}  # fmt: skip
    stripe_prefix = {
        "billing.customer": ("cus_", 14),
        "billing.subscription": ("sub_", 24),
        "billing.subscription_item": ("si_", 14),
        "billing.invoice": ("in_", 24),
        "product.users": ("usr_", 12),
        "survey.nps_response": ("nps_", 16),
    }
    next_int = {"support.ticket": 10_000_000}

    def new_ids(table: str, k: int) -> np.ndarray:
        if table in sf_prefix:
            return ids.salesforce(sf_prefix[table], k)
        if table in stripe_prefix:
            p, n = stripe_prefix[table]
            return ids.stripe(p, k, n)
        start = next_int.get(table, 900_000_000_000)
        next_int[table] = start + k
        return np.arange(start, start + k, dtype=np.int64)

    parent_of = {"crm.contact": "crm.account", "crm.opportunity": "crm.account",
                 "crm.event": "crm.account", "crm.success_goal": "crm.account",
                 "product.users": "crm.account", "billing.subscription": "billing.customer",
                 "billing.invoice": "billing.customer",
                 "billing.subscription_item": "billing.subscription",
                 "crm.health_override__c": "crm.account"}  # fmt: skip

    def fake_parent_ids(table: str, k: int) -> np.ndarray:
        if table == "support.ticket":  # outside the organization id range
            return ids.integers(k, 380_000_000_000, 390_000_000_000)
        return new_ids(parent_of[table], k)

    inj = Injector(cfg, brng, new_ids, fake_parent_ids)

    path = os.fspath(duckdb_path)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    con = duckdb.connect(path)
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        for schema in RAW_SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in RAW_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"DROP SCHEMA IF EXISTS {DEMO_SCHEMA} CASCADE")
        con.execute(f"CREATE SCHEMA {DEMO_SCHEMA}")
        counts: dict[str, int] = {}

        def write(table: str, frame: pd.DataFrame) -> None:
            frame = inj.inject(table, frame)
            counts[table] = _write(con, table, frame, RAW_TABLES[table])
            prog.step(table, counts[table])

        accounts_df = _account_frame(cfg, acc, lc)
        flat_payers = np.flatnonzero((acc.tree < 0) & (acc.kind == "payer"))
        accounts_df = plant_hierarchy(cfg, brng, accounts_df, lambda k: new_ids("crm.account", k),
                                      flat_payers, inj)  # fmt: skip
        write("crm.account", accounts_df)
        write("crm.contact", _contact_frame(cfg, acc, con_))

        opp = build_opportunities(cfg, acc, lc, ids)
        write("crm.opportunity", pd.DataFrame({
            "id": opp["id"], "account_id": acc.id[opp["acct"]], "name": opp["name"],
            "type": opp["type"], "stage_name": opp["stage"], "amount": opp["amount"],
            "currency_iso_code": opp["currency"], "close_date": to_date(opp["close"]),
            "is_closed": opp["is_closed"], "is_won": opp["is_won"],
            "created_date": _ts(opp["created_s"]), "is_deleted": False,
            "_loaded_at": _ts(opp["loaded_s"]),
        }))  # fmt: skip
        ev = build_crm_events(cfg, acc, lc, con_, daily, ids)
        write("crm.event", pd.DataFrame({
            "id": ev["id"], "account_id": acc.id[ev["acct"]], "who_id": ev["who_id"],
            "subject": ev["subject"], "type": ev["type"], "activity_date": _ts(ev["activity_s"]),
            "is_deleted": False, "_loaded_at": _ts(ev["loaded_s"]),
        }))  # fmt: skip
        goals = build_goals(cfg, acc, lc, daily, ids)
        write("crm.success_goal", pd.DataFrame({
            "id": goals["id"], "account_id": acc.id[goals["acct"]], "name": goals["name"],
            "status": goals["status"], "target_date": to_date(goals["target"]),
            "achieved_date": to_date(goals["achieved"]),
            "validated_by_customer": goals["validated"], "is_deleted": False,
            "_loaded_at": _ts(goals["loaded_s"]),
        }))  # fmt: skip
        for table, frame in _billing_frames(cfg, acc, lc, bill).items():
            write(table, frame)
        write("product.users", _users_frame(cfg, acc, users))

        orgs, tickets = build_support(cfg, acc, lc, con_, users, daily, ids)
        write("support.organization", pd.DataFrame({
            "id": pd.array(orgs["id"], dtype="Int64"), "external_id": orgs["external_id"],
            "name": orgs["name"], "_loaded_at": _ts(orgs["loaded_s"]),
        }))  # fmt: skip
        write("support.ticket", pd.DataFrame({
            "id": pd.array(tickets["id"], dtype="Int64"),
            "organization_id": pd.array(tickets["org"], dtype="Int64"),
            "requester_email": tickets["requester"], "priority": tickets["priority"],
            "status": tickets["status"], "type": tickets["type"],
            "created_at": _ts(tickets["created_s"]), "solved_at": _ts(tickets["solved_s"]),
            "satisfaction_rating": tickets["csat"], "is_deleted": False,
            "_loaded_at": _ts(tickets["loaded_s"]),
        }))  # fmt: skip
        nps = build_nps(cfg, acc, lc, con_, daily, ids)
        write("survey.nps_response", pd.DataFrame({
            "id": nps["id"], "email": nps["email"], "score": nps["score"],
            "comment": nps["comment"], "created_at": _ts(nps["created_s"]),
            "_loaded_at": _ts(nps["loaded_s"]),
        }))  # fmt: skip

        counts["product.tracks"] = _write_tracks(con, cfg, acc, daily, users, inj, prog, abandoned)

        # Last, so that its planted rows draw from the shared streams after every other table.
        write("crm.health_override__c", build_overrides(cfg, acc, lc))

        _write(con, "_demo.account_truth", _truth_frame(cfg, acc, lc, bill),
               DEMO_TABLES["_demo.account_truth"])  # fmt: skip
        _write(con, "_demo.product_truth", truth_frame(cfg, acc, abandoned),
               DEMO_TABLES["_demo.product_truth"])  # fmt: skip
        planted = pd.DataFrame(inj.planted, columns=["table_name", "record_id", "kind"])
        _write(con, "_demo.planted_bad_rows", planted, DEMO_TABLES["_demo.planted_bad_rows"])
        con.execute("INSERT INTO _demo.planted_bad_rows "
                    "SELECT 'product.tracks', id, kind FROM _bad_tracks")  # fmt: skip
        params = {
            "generator_version": __version__,
            "accounts": accounts,
            "days": days,
            "seed": seed,
            "bad_rows_rate": bad_rows_rate,
            "end_date": cfg.end_date.isoformat(),
            "window_start_date": (cfg.end_date - dt.timedelta(days=days - 1)).isoformat(),
            "events_per_user_day": events_per_user_day,
            "onboarding_days": 90,
            "products": ",".join(PRODUCTS),
        }
        _write(con, "_demo.generation_params",
               pd.DataFrame({"key": list(params), "value": [str(v) for v in params.values()]}),
               DEMO_TABLES["_demo.generation_params"])  # fmt: skip
        for t in ("_demo.account_truth", "_demo.planted_bad_rows"):
            counts[t] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
        prog.step("_demo (truth, bad rows)", counts["_demo.planted_bad_rows"])
        for tmp in ("_bad_tracks", "_active_days", "_acct_day", "_user_grid"):
            con.execute(f"DROP TABLE IF EXISTS {tmp}")
        con.execute("CHECKPOINT")
        prog.step("checkpoint")
    finally:
        con.close()
    if not quiet:
        print(f"Done in {prog.total():.1f}s", flush=True)
    return {t: counts[t] for t in [*RAW_TABLES, "_demo.account_truth", "_demo.planted_bad_rows"]}


def _write_tracks(con: duckdb.DuckDBPyConnection, cfg: GenConfig, acc: Accounts, daily: Daily,
                  users: Users, inj: Injector, prog: _Progress,
                  abandoned: list[Abandonment]) -> int:  # fmt: skip
    register_activity_frames(con, cfg, acc, daily, users, abandoned)
    con.execute(active_days_sql(cfg))
    n_days = con.execute("SELECT count(*) FROM _active_days").fetchone()[0]  # type: ignore[index]
    prog.step("active user-days", n_days)
    cols = ", ".join(c for c, _ in RAW_TABLES["product.tracks"])
    con.execute("DROP TABLE IF EXISTS product.tracks")
    con.execute(f"CREATE TABLE product.tracks AS SELECT {cols} FROM ({events_select_sql(cfg)})")
    n = con.execute("SELECT count(*) FROM product.tracks").fetchone()[0]  # type: ignore[index]
    prog.step("product.tracks (clean)", n)
    if cfg.bad_rows_rate > 0:
        sql, _ = tracks_bad_sql(cfg, n, lambda where: events_select_sql(cfg, where),
                                lambda seq: _event_id_sql(int(cfg.seed), seq))  # fmt: skip
        con.execute(sql)
        con.execute(f"INSERT INTO product.tracks SELECT {cols} FROM _bad_tracks")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _bad_tracks AS "
                    "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS kind WHERE false")  # fmt: skip
    total = con.execute("SELECT count(*) FROM product.tracks").fetchone()[0]  # type: ignore[index]
    prog.step("product.tracks", total)
    return int(total)


__all__ = ["RAW_TABLES", "DEMO_TABLES", "generate", "default_end_date"]
