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
import os
import time

import duckdb
import numpy as np
import pandas as pd

from healthgen import __version__
from healthgen.accounts import Accounts, build_accounts, build_contacts
from healthgen.activity import Daily, build_daily
from healthgen.adoption import Abandonment, plan_abandonments, truth_frame
from healthgen.bad import Injector, plant_hierarchy, tracks_bad_sql
from healthgen.billing import build_billing
from healthgen.catalog import PRODUCTS
from healthgen.common import GenConfig, IdFactory, rng_for, to_date
from healthgen.engagement import (
    build_crm_events,
    build_goals,
    build_nps,
    build_opportunities,
    build_support,
)
from healthgen.frames import (
    account_frame,
    account_truth_frame,
    as_ts,
    billing_frames,
    contact_frame,
    users_frame,
)
from healthgen.lifecycle import simulate
from healthgen.overrides import build_overrides
from healthgen.schema import DEMO_SCHEMA, DEMO_TABLES, RAW_SCHEMAS, RAW_TABLES
from healthgen.tracks import _event_id_sql, active_days_sql, events_select_sql, register_activity_frames
from healthgen.users import Users, build_users


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


# ---------------------------------------------------------------------------------------


def check_size(accounts: int, days: int, bad_rows_rate: float, events_per_user_day: float = 4.0) -> None:
    """ValueError naming what is out of range (the command lines report it as a usage error)."""
    if accounts < 1 or days < 30:
        raise ValueError(f"need at least 1 account and 30 days (got {accounts} accounts, {days} days)")
    if not 0 <= bad_rows_rate < 0.5:
        raise ValueError(f"the bad rows rate must be in [0, 0.5) (got {bad_rows_rate})")
    if not 1.0 <= events_per_user_day <= 100.0:
        raise ValueError(f"events per user-day must be in [1, 100] (got {events_per_user_day})")


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
    check_size(accounts, days, bad_rows_rate, events_per_user_day)
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
        # The same buffer-pool limit as the warehouse profile: DuckDB's default (80 % of
        # RAM) held 15 GB while writing 100,000 accounts' events; with a limit it spills.
        con.execute(f"SET memory_limit = '{os.environ.get('HEALTH_DUCKDB_MEMORY_LIMIT', '8GB')}'")
        if os.environ.get("HEALTH_DUCKDB_TEMP_DIRECTORY"):  # and where it spills (profiles.yml)
            con.execute("SET temp_directory = ?", [os.environ["HEALTH_DUCKDB_TEMP_DIRECTORY"]])
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

        accounts_df = account_frame(cfg, acc, lc)
        flat_payers = np.flatnonzero((acc.tree < 0) & (acc.kind == "payer"))
        accounts_df = plant_hierarchy(cfg, brng, accounts_df, lambda k: new_ids("crm.account", k),
                                      flat_payers, inj)  # fmt: skip
        write("crm.account", accounts_df)
        write("crm.contact", contact_frame(cfg, acc, con_))

        opp = build_opportunities(cfg, acc, lc, ids)
        write("crm.opportunity", pd.DataFrame({
            "id": opp["id"], "account_id": acc.id[opp["acct"]], "name": opp["name"],
            "type": opp["type"], "stage_name": opp["stage"], "amount": opp["amount"],
            "currency_iso_code": opp["currency"], "close_date": to_date(opp["close"]),
            "is_closed": opp["is_closed"], "is_won": opp["is_won"],
            "created_date": as_ts(opp["created_s"]), "is_deleted": False,
            "_loaded_at": as_ts(opp["loaded_s"]),
        }))  # fmt: skip
        ev = build_crm_events(cfg, acc, lc, con_, daily, ids)
        write("crm.event", pd.DataFrame({
            "id": ev["id"], "account_id": acc.id[ev["acct"]], "who_id": ev["who_id"],
            "subject": ev["subject"], "type": ev["type"], "activity_date": as_ts(ev["activity_s"]),
            "is_deleted": False, "_loaded_at": as_ts(ev["loaded_s"]),
        }))  # fmt: skip
        goals = build_goals(cfg, acc, lc, daily, ids)
        write("crm.success_goal", pd.DataFrame({
            "id": goals["id"], "account_id": acc.id[goals["acct"]], "name": goals["name"],
            "status": goals["status"], "target_date": to_date(goals["target"]),
            "achieved_date": to_date(goals["achieved"]),
            "validated_by_customer": goals["validated"], "is_deleted": False,
            "_loaded_at": as_ts(goals["loaded_s"]),
        }))  # fmt: skip
        for table, frame in billing_frames(cfg, acc, lc, bill).items():
            write(table, frame)
        write("product.users", users_frame(cfg, acc, users))

        orgs, tickets = build_support(cfg, acc, lc, con_, users, daily, ids)
        write("support.organization", pd.DataFrame({
            "id": pd.array(orgs["id"], dtype="Int64"), "external_id": orgs["external_id"],
            "name": orgs["name"], "_loaded_at": as_ts(orgs["loaded_s"]),
        }))  # fmt: skip
        write("support.ticket", pd.DataFrame({
            "id": pd.array(tickets["id"], dtype="Int64"),
            "organization_id": pd.array(tickets["org"], dtype="Int64"),
            "requester_email": tickets["requester"], "priority": tickets["priority"],
            "status": tickets["status"], "type": tickets["type"],
            "created_at": as_ts(tickets["created_s"]), "solved_at": as_ts(tickets["solved_s"]),
            "satisfaction_rating": tickets["csat"], "is_deleted": False,
            "_loaded_at": as_ts(tickets["loaded_s"]),
        }))  # fmt: skip
        nps = build_nps(cfg, acc, lc, con_, daily, ids)
        write("survey.nps_response", pd.DataFrame({
            "id": nps["id"], "email": nps["email"], "score": nps["score"],
            "comment": nps["comment"], "created_at": as_ts(nps["created_s"]),
            "_loaded_at": as_ts(nps["loaded_s"]),
        }))  # fmt: skip

        counts["product.tracks"] = _write_tracks(con, cfg, acc, daily, users, inj, prog, abandoned)

        # Last, so that its planted rows draw from the shared streams after every other table.
        write("crm.health_override__c", build_overrides(cfg, acc, lc))

        _write(con, "_demo.account_truth", account_truth_frame(cfg, acc, lc, bill),
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
