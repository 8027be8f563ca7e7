"""The billing records a contract history implies: Stripe customers, the ids of the
subscriptions and items of `Lifecycle`, and the invoices (terms, prorations, monthly
periods), with the overdue episodes the signals plant and the payment noise around them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from healthgen.accounts import Accounts
from healthgen.catalog import PRODUCTS, unit_amount
from healthgen.common import (
    DAY_SECONDS,
    NULL_INT,
    GenConfig,
    IdFactory,
    add_months,
    add_months_int,
    rng_for,
)
from healthgen.lifecycle import Lifecycle


@dataclass
class Billing:
    cust_acct: np.ndarray  # account index per customer
    cust_id: np.ndarray
    acct_cust: dict[int, int]
    sub_id: np.ndarray
    item_id: np.ndarray
    inv: dict[str, np.ndarray]
    delinquent: np.ndarray  # per customer
    anchor: np.ndarray  # per account: time of day (seconds) of its billing events


def overdue_windows(lc: Lifecycle) -> dict[int, list[tuple[int, int, int]]]:
    """Per account: (start, end, subscription) windows in which invoices stay unpaid."""
    out: dict[int, list[tuple[int, int, int]]] = {}
    for f in lc.fates:
        if f.flags.get("overdue_invoice") and f.signal_start >= 0:
            out.setdefault(f.acct, []).append((f.signal_start - 20, f.day, f.sub))
    return out


def build_billing(cfg: GenConfig, acc: Accounts, lc: Lifecycle, ids: IdFactory) -> Billing:
    rng = rng_for(cfg.seed, "invoices")
    E = cfg.end_day
    payers = np.flatnonzero(lc.first_start >= 0)
    cust_id = ids.stripe("cus_", len(payers))
    acct_cust = {int(a): j for j, a in enumerate(payers)}
    n_sub = len(lc.sub_acct)
    sub_id = ids.stripe("sub_", n_sub, 24)
    item_id = ids.stripe("si_", len(lc.item_sub), 14)
    anchor = rng.integers(0, DAY_SECONDS, acc.n)  # time of day of each account's billing

    unit = item_unit_amounts(acc, lc)
    items_by_sub: dict[int, list[int]] = {}
    for j, s in enumerate(lc.item_sub):
        items_by_sub.setdefault(s, []).append(j)
    windows = overdue_windows(lc)

    rows: dict[str, list] = {k: [] for k in ("sub", "acct", "created", "amount", "pstart",
                                              "pend", "unpaid", "kind")}  # fmt: skip
    for s in range(n_sub):
        a = lc.sub_acct[s]
        its = items_by_sub.get(s, [])
        created_items = np.array([lc.item_created[j] for j in its], dtype=np.int64)
        amounts = np.array([lc.item_qty[j] * unit[j] for j in its], dtype=np.int64)
        end = lc.sub_ended[s] if lc.sub_ended[s] >= 0 else 10**7
        if lc.sub_interval[s] == "year":
            # one invoice per term (several when the subscription renewed in place)
            term_starts = [lc.sub_start[s]]
            while (nxt := add_months_int(lc.sub_start[s], 12 * len(term_starts))) < lc.sub_pend[s]:
                term_starts.append(nxt)
            term_ends = [*term_starts[1:], lc.sub_pend[s]]
            starts = list(term_starts)
            amts = [int(amounts[created_items <= ts].sum()) for ts in term_starts]
            pends = list(term_ends)
            kinds = ["term"] * len(term_starts)
            for j, c in zip(its, created_items.tolist(), strict=True):
                k = max(n for n, ts in enumerate(term_starts) if ts <= c)
                if c > term_starts[k]:  # proration of a mid-term expansion
                    ts, pend = term_starts[k], term_ends[k]
                    starts.append(c)
                    amts.append(int(round(lc.item_qty[j] * unit[j] * (pend - c) / (pend - ts))))
                    pends.append(pend)
                    kinds.append("proration")
        else:
            if lc.sub_trial[s]:
                continue
            first = lc.sub_start[s]
            last = min(E, end - 1)
            ks = np.arange(0, 12 * 40)
            p_starts = add_months(first, ks)
            p_starts = p_starts[p_starts <= last]
            if len(p_starts) == 0:
                continue
            p_ends = add_months(first, np.arange(1, len(p_starts) + 1))
            amt = (amounts[:, None] * (created_items[:, None] <= p_starts[None, :])).sum(axis=0)
            starts = p_starts.tolist()
            amts = amt.tolist()
            pends = p_ends.tolist()
            kinds = ["month"] * len(starts)
        for c, amount, pe, kd in zip(starts, amts, pends, kinds, strict=True):
            unpaid = False
            for lo, hi, wsub in windows.get(a, []):
                if lc.sub_interval[s] == "year":
                    # the invoice of the term that ends on the fate's day
                    unpaid |= wsub == s and kd == "term" and pe == hi
                else:
                    unpaid |= lo <= c <= hi
            rows["sub"].append(s)
            rows["acct"].append(a)
            rows["created"].append(c)
            rows["amount"].append(amount)
            rows["pstart"].append(c)
            rows["pend"].append(pe)
            rows["unpaid"].append(unpaid)
            rows["kind"].append(kd)

    sub = np.array(rows["sub"], dtype=np.int64)
    acct = np.array(rows["acct"], dtype=np.int64)
    cday = np.array(rows["created"], dtype=np.int64)
    amount = np.array(rows["amount"], dtype=np.int64)
    unpaid = np.array(rows["unpaid"], dtype=bool)
    monthly = np.array([lc.sub_interval[s] == "month" for s in sub.tolist()], dtype=bool)
    m = len(sub)
    created_s = cday * DAY_SECONDS + anchor[acct]
    due_s = created_s + 30 * DAY_SECONDS
    # payment delay
    u = rng.random(m)
    # card payments settle at once or after a retry, invoices on terms within the month;
    # some are paid late (an overdue episode that ends) -- the noise around the signal
    delay = np.where(
        monthly,
        np.where(u < 0.93, rng.integers(60, 3600, m),
                 np.where(u < 0.985, rng.integers(1, 10, m) * DAY_SECONDS,
                          rng.integers(35, 120, m) * DAY_SECONDS)),
        np.where(u < 0.85, rng.integers(2, 29, m) * DAY_SECONDS,
                 np.where(u < 0.985, rng.integers(31, 80, m) * DAY_SECONDS,
                          rng.integers(90, 200, m) * DAY_SECONDS)),
    )  # fmt: skip
    delay = np.where(unpaid | (amount == 0), np.where(amount == 0, 0, -1), delay)
    paid_s = np.where(delay >= 0, created_s + delay, NULL_INT)
    end_s = (E + 1) * DAY_SECONDS
    paid_s = np.where(paid_s >= end_s, NULL_INT, paid_s)
    paid = paid_s != NULL_INT
    churned = lc.last_day[acct] < E
    old = due_s < (E - 90) * DAY_SECONDS
    status = np.where(paid, "paid", "open").astype(object)
    status[~paid & churned & old & (rng.random(m) < 0.6)] = "uncollectible"
    draft = monthly & (cday == E) & (rng.random(m) < 0.5)
    status[draft] = "draft"
    paid &= ~draft
    paid_s = np.where(paid, paid_s, NULL_INT)
    amount_paid = np.where(paid, amount, 0)
    amount_remaining = np.where(paid, 0, amount)
    pstart_s = np.array(rows["pstart"], dtype=np.int64) * DAY_SECONDS + anchor[acct]
    pend_s = np.array(rows["pend"], dtype=np.int64) * DAY_SECONDS + anchor[acct]
    # voided drafts that were re-issued: an extra void invoice a few days earlier
    void = rng.random(m) < 0.012
    vi = np.flatnonzero(void)
    cust = np.array([acct_cust[int(a)] for a in acct], dtype=np.int64)
    inv = {
        "sub": np.concatenate([sub, sub[vi]]),
        "cust": np.concatenate([cust, cust[vi]]),
        "acct": np.concatenate([acct, acct[vi]]),
        "status": np.concatenate([status, np.full(len(vi), "void", dtype=object)]),
        "amount_due": np.concatenate([amount, amount[vi]]),
        "amount_paid": np.concatenate([amount_paid, np.zeros(len(vi), dtype=np.int64)]),
        "amount_remaining": np.concatenate([amount_remaining, np.zeros(len(vi), dtype=np.int64)]),
        "created_s": np.concatenate(
            [created_s, created_s[vi] - rng.integers(1, 4, len(vi)) * DAY_SECONDS]
        ),  # fmt: skip
        "due_s": np.concatenate([due_s, due_s[vi] - 3 * DAY_SECONDS]),
        "paid_s": np.concatenate([paid_s, np.full(len(vi), NULL_INT, dtype=np.int64)]),
        "pstart_s": np.concatenate([pstart_s, pstart_s[vi]]),
        "pend_s": np.concatenate([pend_s, pend_s[vi]]),
    }
    inv["id"] = ids.stripe("in_", len(inv["sub"]), 24)
    overdue = (
        np.isin(inv["status"], ["open", "uncollectible"])
        & (inv["due_s"] < end_s)
        & (inv["amount_remaining"] > 0)
    )
    delinquent = np.zeros(len(payers), dtype=bool)
    delinquent[np.unique(inv["cust"][overdue])] = True
    # a running subscription with an overdue invoice is usually past_due
    overdue_subs = set(inv["sub"][overdue & (inv["status"] == "open")].tolist())
    for s in sorted(overdue_subs):
        if lc.sub_status[s] == "active" and rng.random() < 0.7:
            lc.sub_status[s] = "past_due"
    return Billing(cust_acct=payers, cust_id=cust_id, acct_cust=acct_cust, sub_id=sub_id,
                   item_id=item_id, inv=inv, delinquent=delinquent, anchor=anchor)  # fmt: skip


def item_unit_amounts(acc: Accounts, lc: Lifecycle) -> np.ndarray:
    out = np.zeros(len(lc.item_sub), dtype=np.int64)
    for j in range(len(lc.item_sub)):
        s = lc.item_sub[j]
        out[j] = unit_amount(PRODUCTS[lc.item_mod[j]], acc.currency[lc.sub_acct[s]],
                             lc.sub_interval[s])  # fmt: skip
    return out
