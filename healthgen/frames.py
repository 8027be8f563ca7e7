"""Frames of the clean tables that `generate` builds from the simulated state: accounts,
contacts, billing (customers, subscriptions, items, invoices), product users and the
account truth of `_demo`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from healthgen.accounts import Accounts, Contacts
from healthgen.billing import Billing, item_unit_amounts
from healthgen.catalog import PRODUCTS, price_id
from healthgen.common import DAY_SECONDS, NULL_INT, GenConfig, obj, rng_for, to_date, to_ts
from healthgen.lifecycle import SIGNALS, Lifecycle
from healthgen.schema import DEMO_TABLES
from healthgen.users import Users


def as_ts(seconds: np.ndarray) -> np.ndarray:
    return to_ts(np.asarray(seconds, dtype=np.int64))


def account_frame(cfg: GenConfig, acc: Accounts, lc: Lifecycle) -> pd.DataFrame:
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
        "created_date": as_ts(created_s),
        "is_deleted": np.zeros(n, dtype=bool),
        "_loaded_at": as_ts(np.minimum(loaded, cfg.load_cap_s)),
    })  # fmt: skip


def contact_frame(cfg: GenConfig, acc: Accounts, con_: Contacts) -> pd.DataFrame:
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
        "created_date": as_ts(con_.created_s),
        "_loaded_at": as_ts(np.minimum(loaded, cfg.load_cap_s)),
    })  # fmt: skip


def billing_frames(cfg: GenConfig, acc: Accounts, lc: Lifecycle, bill: Billing
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
        "created": as_ts(created_s),
        "deleted": np.zeros(nc, dtype=bool),
        "_loaded_at": as_ts(np.maximum(cap - rng.integers(3600, 60 * DAY_SECONDS, nc),
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
        "created": as_ts(start_s - rng.integers(0, 3600, ns)),
        "start_date": as_ts(start_s),
        "current_period_start": as_ts(at(lc.sub_pstart)),
        "current_period_end": as_ts(at(lc.sub_pend)),
        "cancel_at_period_end": np.array(lc.sub_cancel_at_end, dtype=bool),
        "canceled_at": as_ts(canceled_s),
        "ended_at": as_ts(at(ended)),
        "_loaded_at": as_ts(sub_loaded),
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
        "created": as_ts(item_created),
        "_loaded_at": as_ts(np.maximum(np.minimum(item_created + rng.integers(300, 6 * 3600, ni),
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
        "created": as_ts(inv["created_s"]),
        "due_date": as_ts(inv["due_s"]),
        "paid_at": as_ts(inv["paid_s"]),
        "period_start": as_ts(inv["pstart_s"]),
        "period_end": as_ts(inv["pend_s"]),
        "_loaded_at": as_ts(np.maximum(np.minimum(last + rng.integers(300, 6 * 3600, m), cap),
                                      last)),
    })  # fmt: skip
    invoices = invoices.sort_values(["created", "id"], kind="stable").reset_index(drop=True)
    return {"billing.customer": customers, "billing.subscription": subs,
            "billing.subscription_item": items, "billing.invoice": invoices}  # fmt: skip


def users_frame(cfg: GenConfig, acc: Accounts, users: Users) -> pd.DataFrame:
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
        "created_at": as_ts(users.created_s),
        "deactivated_at": as_ts(users.deact_s),
        "_loaded_at": as_ts(np.maximum(loaded, last)),
    })  # fmt: skip


def account_truth_frame(cfg: GenConfig, acc: Accounts, lc: Lifecycle, bill: Billing) -> pd.DataFrame:
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
