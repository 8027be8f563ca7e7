"""The commercial life of every paying account: contract terms, seats, expansions,
contractions and churn (with the leading signals each fate plants): the subscriptions and
items it books. The billing records (customers, invoices) it implies are in billing.py, the
CRM opportunities in engagement/crm.py.

Modelling rules (the dbt models must hold on both renewal styles Stripe books show):
- annual plans renew in one of two styles, chosen per account (IN_PLACE_SHARE of them
  in place):
  - in place (Stripe's default): the same subscription id; start_date stays the first
    term's start, current_period_start / current_period_end move forward a year at each
    renewal (the latest version of the row shows the running term). A contraction
    cannot be booked in place in the raw contract (an item keeps only its latest
    quantity), so a contracting in-place customer moves to a new subscription, as a
    plan change does in Stripe.
  - a new subscription per contract term: start_date = current_period_start = term
    start, current_period_end = start + 1 year. A renewed term is `canceled` with
    ended_at = canceled_at = current_period_end and the next term's subscription starts
    that same day (new seat counts: contraction = fewer seats or a dropped module).
  Churn, either style: no next term, cancel_at_period_end = true, canceled_at a few
  weeks before, ended_at = current_period_end.
- monthly plans: one subscription until churn (ended_at at the end of the last month,
  cancel_at_period_end = true); a contraction closes it at a month boundary (canceled,
  ended_at = canceled_at = that day) and a new subscription with the fewer seats starts
  that same day, exactly like an annual renewal.
- expansion: a new subscription item created on the expansion day on the running
  subscription (more seats of a licensed module or a new module); a module's seats on a
  day = sum(quantity) of its active items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from healthgen.accounts import Accounts
from healthgen.catalog import PRODUCTS
from healthgen.common import (
    GenConfig,
    add_months_int,
    rng_for,
)

N_MOD = len(PRODUCTS)

CHURN_P = {"enterprise": 0.07, "mid_market": 0.12, "smb": 0.17}
CONTRACT_P = {"enterprise": 0.12, "mid_market": 0.10, "smb": 0.08}
EXPAND_P = {"enterprise": 0.24, "mid_market": 0.17, "smb": 0.10}
MONTHLY_CHURN_P = {"enterprise": 0.01, "mid_market": 0.016, "smb": 0.026}
MONTHLY_CONTRACT_P = {"enterprise": 0.008, "mid_market": 0.008, "smb": 0.007}
MONTHLY_EXPAND_P = {"enterprise": 0.02, "mid_market": 0.015, "smb": 0.01}
MODULE_P = {
    "enterprise": (1.0, 0.7, 0.5, 0.6),
    "mid_market": (1.0, 0.5, 0.35, 0.3),
    "smb": (1.0, 0.3, 0.2, 0.1),
}

#: Share of the annual accounts whose terms renew in place (same subscription id).
IN_PLACE_SHARE = 0.5
#: Days before a churn or contraction (and a renewal's false alarm) its warning signs begin:
#: a quarter to seven months, so that a score 90 days ahead can see every planted sign
#: (docs/decisions/0102-warning-signs-lead.md). Expansion signs: 60-120 days.
WARNING_LEAD_DAYS = (90, 211)
EXPANSION_LEAD_DAYS = (60, 121)

SIGNALS = ("usage_decline", "lost_exec", "overdue_invoice", "detractor_nps", "ticket_spike",
           "stalled_onboarding", "seat_utilization", "feature_breadth")  # fmt: skip


@dataclass
class Fate:
    acct: int
    fate: str  # churn, contraction, expansion, renewal
    day: int
    signal_start: int  # -1: no planted signal
    sub: int  # the subscription concerned
    interval: str
    product: int = -1
    seats_before: int = 0
    seats_after: int = 0
    noise: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass
class Lifecycle:
    first_start: np.ndarray
    last_day: np.ndarray  # last day with an active subscription (or a big number)
    sub_acct: list[int] = field(default_factory=list)
    sub_start: list[int] = field(default_factory=list)
    sub_pstart: list[int] = field(default_factory=list)
    sub_pend: list[int] = field(default_factory=list)
    sub_status: list[str] = field(default_factory=list)
    sub_cancel_at_end: list[bool] = field(default_factory=list)
    sub_canceled: list[int] = field(default_factory=list)  # -1 null
    sub_ended: list[int] = field(default_factory=list)  # -1 null
    sub_interval: list[str] = field(default_factory=list)
    sub_trial: list[bool] = field(default_factory=list)
    sub_in_place: list[bool] = field(default_factory=list)  # annual terms renew in place
    item_sub: list[int] = field(default_factory=list)
    item_mod: list[int] = field(default_factory=list)
    item_qty: list[int] = field(default_factory=list)
    item_created: list[int] = field(default_factory=list)
    fates: list[Fate] = field(default_factory=list)

    def add_sub(self, acct: int, start: int, pstart: int, pend: int, interval: str) -> int:
        self.sub_acct.append(acct)
        self.sub_start.append(start)
        self.sub_pstart.append(pstart)
        self.sub_pend.append(pend)
        self.sub_status.append("active")
        self.sub_cancel_at_end.append(False)
        self.sub_canceled.append(-1)
        self.sub_ended.append(-1)
        self.sub_interval.append(interval)
        self.sub_trial.append(False)
        self.sub_in_place.append(False)
        return len(self.sub_acct) - 1

    def add_item(self, sub: int, mod: int, qty: int, created: int) -> None:
        self.item_sub.append(sub)
        self.item_mod.append(mod)
        self.item_qty.append(int(qty))
        self.item_created.append(int(created))


def _flags(rng: np.random.Generator, probs: dict[str, float]) -> dict[str, bool]:
    out = {k: bool(rng.random() < p) for k, p in probs.items()}
    if probs and not any(out.values()):
        keys = list(probs)
        out[keys[int(rng.integers(len(keys)))]] = True
    return out


def _negative_flags(rng: np.random.Generator, fate: str, young: float) -> tuple[dict, str | None]:
    """Signals planted before a churn / contraction; `young` is the chance that a stalled
    onboarding is among them (accounts in their first months or first term)."""
    silent = rng.random() < (0.12 if fate == "churn" else 0.15)
    if silent:
        return {}, "silent_" + fate
    if fate == "churn":
        probs = {"usage_decline": 0.8, "lost_exec": 0.6, "overdue_invoice": 0.35,
                 "detractor_nps": 0.5, "ticket_spike": 0.45}  # fmt: skip
    else:
        probs = {"usage_decline": 0.65, "lost_exec": 0.35, "overdue_invoice": 0.15,
                 "detractor_nps": 0.35, "ticket_spike": 0.35}  # fmt: skip
    if young > 0:
        probs["stalled_onboarding"] = young
    return _flags(rng, probs), None


def _renewal_flags(rng: np.random.Generator) -> tuple[dict, str | None]:
    """Most renewals are quiet; some show a scare that passes (false alarm)."""
    if rng.random() < 0.12:
        probs = {"usage_decline": 0.5, "lost_exec": 0.3, "detractor_nps": 0.35,
                 "ticket_spike": 0.35, "overdue_invoice": 0.1}  # fmt: skip
        return _flags(rng, probs), "false_alarm"
    return {}, None


def _expansion_flags(rng: np.random.Generator, new_module: bool) -> tuple[dict, str | None]:
    if rng.random() < 0.1:
        return {}, "silent_expansion"
    if new_module:
        probs = {"feature_breadth": 0.85, "seat_utilization": 0.35}
    else:
        probs = {"seat_utilization": 0.8, "feature_breadth": 0.4}
    return _flags(rng, probs), None


def _pick_expansion(rng: np.random.Generator, seats: np.ndarray) -> tuple[int, int, bool]:
    unlicensed = np.flatnonzero(seats == 0)
    if len(unlicensed) and rng.random() < 0.5:
        m = int(unlicensed[rng.integers(len(unlicensed))])
        return m, max(1, int(round(seats[0] * rng.uniform(0.3, 0.8)))), True
    licensed = np.flatnonzero(seats > 0)
    m = 0 if rng.random() < 0.65 else int(licensed[rng.integers(len(licensed))])
    return m, max(1, int(round(seats[m] * rng.uniform(0.15, 0.5)))), False


def _contract(rng: np.random.Generator, seats: np.ndarray) -> tuple[np.ndarray, int]:
    new = seats.copy()
    extra = [m for m in range(1, N_MOD) if seats[m] > 0]
    if extra and rng.random() < 0.4:
        m = extra[int(rng.integers(len(extra)))]
        new[m] = 0
        return new, m
    new[0] = max(1, int(round(seats[0] * rng.uniform(0.5, 0.8))))
    if new[0] == seats[0] and seats[0] > 1:
        new[0] = seats[0] - 1
    for m in range(1, N_MOD):
        new[m] = min(new[m], new[0])
    return new, 0


def simulate(cfg: GenConfig, acc: Accounts) -> Lifecycle:
    rng = rng_for(cfg.seed, "lifecycle")
    srng = rng_for(cfg.seed, "signals")
    # its own stream, so that choosing a renewal style leaves every other draw as it was
    style_rng = rng_for(cfg.seed, "renewal_style")
    E, W0 = cfg.end_day, cfg.start_day
    n = acc.n
    payer = acc.kind == "payer"
    first_start = np.full(n, -1, dtype=np.int64)
    first_start[payer] = rng.integers(W0 - 1095, E, int(payer.sum()))
    created = rng.integers(W0 - 1000, E - 5, n)
    created[payer] = first_start[payer] - rng.integers(30, 400, int(payer.sum()))
    acc.created_day[:] = created
    lc = Lifecycle(first_start=first_start, last_day=np.full(n, -1, dtype=np.int64))

    for i in np.flatnonzero(payer):
        tier = acc.tier[i]
        mp = MODULE_P[tier]
        seats = np.zeros(N_MOD, dtype=np.int64)
        seats[0] = acc.base_seats[i]
        for m in range(1, N_MOD):
            if rng.random() < mp[m]:
                seats[m] = max(1, int(round(seats[0] * rng.uniform(0.3, 1.0))))
        fs = int(first_start[i])
        if acc.interval[i] == "year":
            in_place = bool(style_rng.random() < IN_PLACE_SHARE)
            _simulate_annual(cfg, lc, rng, srng, i, tier, fs, seats, acc.tree[i] >= 0, in_place)
        else:
            _simulate_monthly(cfg, lc, rng, srng, i, tier, fs, seats)
    return lc


def _simulate_annual(cfg: GenConfig, lc: Lifecycle, rng: np.random.Generator,
                     srng: np.random.Generator, i: int, tier: str, fs: int, seats: np.ndarray,
                     in_tree: bool, in_place: bool) -> None:  # fmt: skip
    E = cfg.end_day
    churn_p = 0.06 if in_tree else CHURN_P[tier]
    t = fs
    sub = -1  # the running subscription when the last term renewed in place
    while True:
        end = add_months_int(t, 12)
        if sub >= 0:
            # renewed in place: same subscription and items, the period moves forward
            lc.sub_pstart[sub] = t
            lc.sub_pend[sub] = end
        else:
            sub = lc.add_sub(i, t, t, end, "year")
            lc.sub_in_place[sub] = in_place
            for m in range(N_MOD):
                if seats[m] > 0:
                    lc.add_item(sub, m, seats[m], t)
        # mid-term expansions
        n_exp = int(rng.random() < EXPAND_P[tier])
        if n_exp and rng.random() < 0.15:
            n_exp = 2
        exp_days = np.sort(rng.integers(t + 45, max(t + 46, end - 30), n_exp))
        for x in exp_days.tolist():
            m, add, new_module = _pick_expansion(rng, seats)
            flags, noise = _expansion_flags(srng, new_module)
            before = int(seats[m])
            sig = x - int(srng.integers(*EXPANSION_LEAD_DAYS)) if flags else -1
            lc.fates.append(Fate(i, "expansion", x, sig, sub, "year", m, before, before + add,
                                 noise, flags))  # fmt: skip
            if x <= E:
                lc.add_item(sub, m, add, x)
                seats[m] += add
        # fate at the end of the term
        u = rng.random()
        fate = "churn" if u < churn_p else "contraction" if u < churn_p + CONTRACT_P[tier] else ("renewal")
        young = 0.5 if end - fs <= 370 else 0.0  # churn / contraction at the first renewal
        if fate == "renewal":
            flags, noise = _renewal_flags(srng)
        else:
            flags, noise = _negative_flags(srng, fate, young)
        new_seats, mod = _contract(rng, seats) if fate == "contraction" else (seats, 0)
        length = int(srng.integers(*WARNING_LEAD_DAYS))
        sig = end - length if flags else -1
        lc.fates.append(
            Fate(
                i,
                fate,
                end,
                sig,
                sub,
                "year",
                mod,
                int(seats[mod]),
                int(new_seats[mod]) if fate != "churn" else 0,
                noise,
                flags,
            )
        )
        notice = end - int(rng.integers(14, 61))
        if fate == "churn":
            if notice <= E:
                lc.sub_cancel_at_end[sub] = True
                lc.sub_canceled[sub] = notice
            if end <= E:
                lc.sub_status[sub] = "canceled"
                lc.sub_ended[sub] = end
            lc.last_day[i] = end - 1
            return
        if end > E:
            lc.last_day[i] = 10**7
            return
        if in_place and fate == "renewal":
            t = end  # the next pass moves the period of the same subscription
            continue
        lc.sub_status[sub] = "canceled"
        lc.sub_canceled[sub] = end
        lc.sub_ended[sub] = end
        seats = new_seats.copy()
        t = end
        sub = -1


def _periods_before(start: int, day: int) -> int:
    """Index k of the last monthly billing period (starting add_months(start, k)) of a
    subscription started on `start` that begins on or before `day`."""
    lo, hi = 0, 12 * 60
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if add_months_int(start, mid) <= day:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _simulate_monthly(cfg: GenConfig, lc: Lifecycle, rng: np.random.Generator,
                      srng: np.random.Generator, i: int, tier: str, fs: int,
                      seats: np.ndarray) -> None:  # fmt: skip
    """A monthly plan runs as one subscription until it churns. A contraction (fewer seats or
    a dropped module) closes it at a month boundary and a new subscription with the new
    seats starts that same day, as for annual terms; expansions add items."""
    E = cfg.end_day
    churn_month = int(rng.geometric(MONTHLY_CHURN_P[tier]))
    churn_day = add_months_int(fs, churn_month)
    horizon = min(churn_day, E + 365)
    start = fs
    sub = lc.add_sub(i, fs, fs, add_months_int(fs, 1), "month")
    if fs > E - 14 and rng.random() < 0.6:
        lc.sub_trial[sub] = True
        lc.sub_status[sub] = "trialing"
    for m in range(N_MOD):
        if seats[m] > 0:
            lc.add_item(sub, m, seats[m], fs)
    # what happens when: expansions (a Bernoulli trial per month), contractions (at a month
    # boundary) and the yearly anniversaries, the monthly plan's renewal points
    timeline: list[tuple[int, str]] = []
    k = int(rng.geometric(MONTHLY_EXPAND_P[tier]))
    while (x := add_months_int(fs, k) + int(rng.integers(3, 25))) < horizon:
        timeline.append((x, "expansion"))
        k += int(rng.geometric(MONTHLY_EXPAND_P[tier]))
    k = int(rng.geometric(MONTHLY_CONTRACT_P[tier]))
    while k < churn_month and (x := add_months_int(fs, k)) < horizon:
        timeline.append((x, "contraction"))
        k += int(rng.geometric(MONTHLY_CONTRACT_P[tier]))
    y = 1
    while (x := add_months_int(fs, 12 * y)) < horizon:
        timeline.append((x, "renewal"))
        y += 1
    for x, kind in sorted(timeline):
        if kind == "expansion":
            m, add, new_module = _pick_expansion(rng, seats)
            flags, noise = _expansion_flags(srng, new_module)
            sig = x - int(srng.integers(*EXPANSION_LEAD_DAYS)) if flags else -1
            lc.fates.append(Fate(i, "expansion", x, sig, sub, "month", m, int(seats[m]),
                                 int(seats[m] + add), noise, flags))  # fmt: skip
            if x <= E:
                lc.add_item(sub, m, add, x)
                seats[m] += add
        elif kind == "renewal":
            flags, noise = _renewal_flags(srng)
            sig = x - int(srng.integers(*WARNING_LEAD_DAYS)) if flags else -1
            lc.fates.append(Fate(i, "renewal", x, sig, sub, "month", 0, int(seats[0]),
                                 int(seats[0]), noise, flags))  # fmt: skip
        else:
            new_seats, mod = _contract(rng, seats)
            flags, noise = _negative_flags(srng, "contraction", 0.0)
            sig = x - int(srng.integers(*WARNING_LEAD_DAYS)) if flags else -1
            lc.fates.append(Fate(i, "contraction", x, sig, sub, "month", mod, int(seats[mod]),
                                 int(new_seats[mod]), noise, flags))  # fmt: skip
            if x <= E:
                lc.sub_status[sub] = "canceled"
                lc.sub_canceled[sub] = x
                lc.sub_ended[sub] = x
                lc.sub_pstart[sub] = add_months_int(start, _periods_before(start, x - 1))
                lc.sub_pend[sub] = x
                start = x
                sub = lc.add_sub(i, x, x, add_months_int(x, 1), "month")
                for m in range(N_MOD):
                    if new_seats[m] > 0:
                        lc.add_item(sub, m, new_seats[m], x)
                seats = new_seats.copy()
    if churn_day <= E + 365:
        flags, noise = _negative_flags(srng, "churn", 0.75 if churn_day - fs < 200 else 0.0)
        length = int(srng.integers(*WARNING_LEAD_DAYS))
        sig = churn_day - length if flags else -1
        lc.fates.append(Fate(i, "churn", churn_day, sig, sub, "month", 0,
                             int(seats[0]), 0, noise, flags))  # fmt: skip
        notice = churn_day - int(rng.integers(3, 26))
        if notice <= E:
            lc.sub_cancel_at_end[sub] = True
            lc.sub_canceled[sub] = max(notice, start)
    if churn_day <= E:
        lc.sub_status[sub] = "canceled"
        lc.sub_ended[sub] = churn_day
        lc.sub_pstart[sub] = add_months_int(start, _periods_before(start, churn_day - 1))
        lc.sub_pend[sub] = churn_day
        lc.last_day[i] = churn_day - 1
    else:
        # the billing period that contains the end date
        k = _periods_before(start, E)
        lc.sub_pstart[sub] = add_months_int(start, k)
        lc.sub_pend[sub] = add_months_int(start, k + 1)
        lc.last_day[i] = 10**7
