"""Product usage: the account x day activity state (with the planted usage signals), the
user directory, and product.tracks generated inside DuckDB from a users x days grid with
hash-based randomness (identical output whatever the thread count)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from healthgen.accounts import Accounts, Contacts
from healthgen.adoption import Abandonment, module_fade
from healthgen.catalog import FEATURE_CATALOG, PRODUCTS, SESSION_EVENT
from healthgen.common import (
    DAY_SECONDS,
    FIRST_NAMES,
    LAST_NAMES,
    GenConfig,
    IdFactory,
    obj,
    rng_for,
    weekday,
)
from healthgen.lifecycle import N_MOD, Fate, Lifecycle

MODULE_WEIGHTS = np.array([0.5, 0.2, 0.2, 0.1])


@dataclass
class Daily:
    """Account x day state over the history window (index = day - start_day)."""

    active: np.ndarray  # bool (n, D): a subscription runs
    mods: np.ndarray  # uint8 (n, D): bitmask of licensed modules
    mult: np.ndarray  # float32 (n, D): activity multiplier (signals, onboarding, noise)
    breadth: np.ndarray  # float32 (n, D): share of a module's features in use
    explore_mod: np.ndarray  # int8 (n, D): unlicensed module being tried, -1 none
    explore_p: np.ndarray  # float32 (n, D): share of events on it
    base_p: np.ndarray  # float32 (n,): weekday activity probability of a typical user
    ticket_mult: np.ndarray  # float32 (n, D)
    severe: np.ndarray  # bool (n, D): tickets skew to high/urgent and bad CSAT
    detractor: np.ndarray  # bool (n, D): NPS answers skew to detractors
    exec_lost: np.ndarray  # bool (n, D): no executive contact
    stalled: np.ndarray  # bool (n,): onboarding stalled


def _ramp(n: int, start: float, end: float) -> np.ndarray:
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    return np.linspace(start, end, n, dtype=np.float32)


def _window(cfg: GenConfig, lo: int, hi: int) -> tuple[int, int]:
    """Day numbers [lo, hi) -> clipped window indexes."""
    return max(lo - cfg.start_day, 0), min(hi - cfg.start_day, cfg.days)


def _apply(arr: np.ndarray, a: int, cfg: GenConfig, lo: int, values: np.ndarray,
           op: str = "mul") -> None:  # fmt: skip
    """Apply `values` (one per day from day number `lo`) to row `a` within the window."""
    i0 = lo - cfg.start_day
    j0 = max(i0, 0)
    j1 = min(i0 + len(values), cfg.days)
    if j1 <= j0:
        return
    v = values[j0 - i0 : j1 - i0]
    if op == "mul":
        arr[a, j0:j1] *= v
    elif op == "max":
        arr[a, j0:j1] = np.maximum(arr[a, j0:j1], v)
    else:
        arr[a, j0:j1] = v


def build_daily(cfg: GenConfig, acc: Accounts, lc: Lifecycle) -> Daily:
    rng = rng_for(cfg.seed, "activity")
    n, D, W0, E = acc.n, cfg.days, cfg.start_day, cfg.end_day
    active = np.zeros((n, D), dtype=bool)
    mods = np.zeros((n, D), dtype=np.uint8)
    for s in range(len(lc.sub_acct)):
        a = lc.sub_acct[s]
        end = lc.sub_ended[s] if lc.sub_ended[s] >= 0 else E + 1
        lo, hi = _window(cfg, lc.sub_start[s], end)
        if hi > lo:
            active[a, lo:hi] = True
    for j in range(len(lc.item_sub)):
        s = lc.item_sub[j]
        a = lc.sub_acct[s]
        end = lc.sub_ended[s] if lc.sub_ended[s] >= 0 else E + 1
        lo, hi = _window(cfg, lc.item_created[j], end)
        if hi > lo:
            mods[a, lo:hi] |= np.uint8(1 << lc.item_mod[j])

    mult = np.ones((n, D), dtype=np.float32)
    breadth = np.repeat(rng.uniform(0.45, 1.0, n).astype(np.float32)[:, None], D, axis=1)
    explore_mod = np.full((n, D), -1, dtype=np.int8)
    explore_p = np.zeros((n, D), dtype=np.float32)
    ticket_mult = np.ones((n, D), dtype=np.float32)
    severe = np.zeros((n, D), dtype=bool)
    detractor = np.zeros((n, D), dtype=bool)
    exec_lost = np.zeros((n, D), dtype=bool)
    stalled = np.zeros(n, dtype=bool)
    base_p = rng.uniform(0.2, 0.42, n).astype(np.float32)

    # weekly noise on every account
    weeks = D // 7 + 2
    noise = np.exp(rng.normal(0, 0.12, (n, weeks))).astype(np.float32)
    week_idx = (np.arange(D) + (W0 + 3) % 7) // 7
    mult *= noise[:, week_idx]

    for f in lc.fates:
        if f.flags.get("stalled_onboarding"):
            stalled[f.acct] = True

    # onboarding ramp (or a stall that never ramps up)
    for a in np.flatnonzero(lc.first_start >= 0):
        fs = int(lc.first_start[a])
        if fs + 120 < W0:
            continue
        if stalled[a]:
            level = rng.uniform(0.25, 0.45)
            _apply(mult, a, cfg, fs, np.full(400, level, dtype=np.float32))
            _apply(breadth, a, cfg, fs, np.full(400, 0.35, dtype=np.float32), "set")
        else:
            length = int(rng.integers(25, 60))
            _apply(mult, a, cfg, fs, _ramp(length, 0.35, 1.0))

    for f in lc.fates:
        if f.signal_start < 0 or f.signal_start > E:
            continue
        _apply_fate(cfg, rng, f, mult, breadth, explore_mod, explore_p, ticket_mult, severe,
                    detractor, exec_lost)  # fmt: skip

    # a few accounts try an unlicensed module for a while without buying it (noise)
    for a in np.flatnonzero((lc.first_start >= 0) & (rng.random(n) < 0.12)):
        idx = np.flatnonzero(active[a])
        if len(idx) < 30:
            continue
        lo = int(idx[rng.integers(len(idx) - 29)])
        hi = min(D, lo + int(rng.integers(30, 90)))
        unlicensed = [m for m in range(N_MOD) if not mods[a, lo] & (1 << m)]
        if unlicensed:
            m = unlicensed[int(rng.integers(len(unlicensed)))]
            sel = explore_mod[a, lo:hi] < 0
            explore_mod[a, lo:hi][sel] = m
            explore_p[a, lo:hi][sel] = rng.uniform(0.01, 0.04)
    # exploring a module stops once it is licensed
    lic = (mods >> np.maximum(explore_mod, 0).astype(np.uint8)) & 1
    stop = (explore_mod >= 0) & (lic == 1)
    explore_mod[stop] = -1
    explore_p[stop] = 0.0
    np.clip(breadth, 0.2, 1.0, out=breadth)
    return Daily(active=active, mods=mods, mult=mult, breadth=breadth, explore_mod=explore_mod,
                 explore_p=explore_p, base_p=base_p, ticket_mult=ticket_mult, severe=severe,
                 detractor=detractor, exec_lost=exec_lost, stalled=stalled)  # fmt: skip


def _apply_fate(cfg: GenConfig, rng: np.random.Generator, f: Fate, mult: np.ndarray,
                breadth: np.ndarray, explore_mod: np.ndarray, explore_p: np.ndarray,
                ticket_mult: np.ndarray, severe: np.ndarray, detractor: np.ndarray,
                exec_lost: np.ndarray) -> None:  # fmt: skip
    a, s, e = f.acct, f.signal_start, f.day
    length = e - s
    fl = f.flags
    if f.fate in ("churn", "contraction") and f.noise is None:
        if fl.get("usage_decline"):
            floor = rng.uniform(0.3, 0.5)
            # each signal ramps in at its own time within the window
            onset = s + int(rng.integers(0, max(1, length // 4)))
            # usage falls fast at first, then flattens out near the floor
            ramp = 1.0 - (1.0 - floor) * np.sqrt(_ramp(e - onset, 0.0, 1.0))
            _apply(mult, a, cfg, onset, ramp.astype(np.float32))
            _apply(breadth, a, cfg, onset, _ramp(e - onset, 1.0, 0.6))
            if f.fate == "contraction":
                rec = rng.uniform(0.75, 0.92)
                after = np.concatenate([_ramp(60, floor, rec), np.full(800, rec, np.float32)])
                _apply(mult, a, cfg, e, after)
                _apply(breadth, a, cfg, e, np.full(800, 0.8, np.float32))
        if fl.get("ticket_spike"):
            onset = s + int(rng.integers(0, max(1, length // 2)))
            _apply(ticket_mult, a, cfg, onset, np.full(e - onset, rng.uniform(2.0, 3.5),
                                                       dtype=np.float32))  # fmt: skip
            _set_bool(severe, a, cfg, onset, e)
        if fl.get("detractor_nps"):
            _set_bool(detractor, a, cfg, s, e)
        if fl.get("lost_exec"):
            _set_bool(exec_lost, a, cfg, s - int(rng.integers(0, 60)), e)
    elif f.noise == "false_alarm":
        half = max(1, length // 2)
        if fl.get("usage_decline"):
            low = rng.uniform(0.5, 0.7)
            _apply(mult, a, cfg, s, np.concatenate([_ramp(half, 1.0, low), _ramp(length - half, low, 1.0)]))
        if fl.get("ticket_spike"):
            _apply(ticket_mult, a, cfg, s, np.full(half, rng.uniform(1.8, 3.0), np.float32))
            _set_bool(severe, a, cfg, s, s + half)
        if fl.get("detractor_nps"):
            _set_bool(detractor, a, cfg, s, s + half)
        if fl.get("lost_exec"):
            _set_bool(exec_lost, a, cfg, s - 30, s + half)
    elif f.fate == "expansion" and f.noise is None:
        if fl.get("seat_utilization"):
            _apply(mult, a, cfg, s, _ramp(length, 1.0, 1.15))
            _apply(mult, a, cfg, e, np.full(400, 1.1, np.float32))
        if fl.get("feature_breadth"):
            _apply(breadth, a, cfg, s, _ramp(length, float(breadth[a, 0]), 1.0), "max")
            if f.product > 0 and f.seats_before == 0:
                target = rng.uniform(0.05, 0.15)
                i0, i1 = _window(cfg, s, e)
                if i1 > i0:
                    explore_mod[a, i0:i1] = f.product
                    explore_p[a, i0:i1] = np.linspace(0.005, target, e - s, dtype=np.float32)[
                        i0 - (s - cfg.start_day) : i1 - (s - cfg.start_day)
                    ]


def _set_bool(arr: np.ndarray, a: int, cfg: GenConfig, lo: int, hi: int) -> None:
    i0, i1 = _window(cfg, lo, hi)
    if i1 > i0:
        arr[a, i0:i1] = True


# ---------------------------------------------------------------------------------------
# Users


@dataclass
class Users:
    n: int
    id: np.ndarray
    acct: np.ndarray
    email: np.ndarray
    role: np.ndarray
    is_licensed: np.ndarray
    created_s: np.ndarray
    deact_s: np.ndarray  # NULL_INT = still active
    prop: np.ndarray


def build_users(cfg: GenConfig, acc: Accounts, lc: Lifecycle, con_: Contacts,
                ids: IdFactory) -> Users:  # fmt: skip
    rng = rng_for(cfg.seed, "users")
    E = cfg.end_day
    fates_by_acct: dict[int, list[Fate]] = {}
    for f in lc.fates:
        fates_by_acct.setdefault(f.acct, []).append(f)
    core_start: dict[int, int] = {}
    for j in range(len(lc.item_sub)):
        s = lc.item_sub[j]
        a = lc.sub_acct[s]
        if lc.item_mod[j] == 0 and lc.sub_start[s] == lc.first_start[a] and a not in core_start:
            core_start[a] = lc.item_qty[j]
    contacts_by_acct: dict[int, list[int]] = {}
    for c in range(con_.n):
        if con_.persona[c] in ("champion", "end_user", "influencer"):
            contacts_by_acct.setdefault(int(con_.account[c]), []).append(c)

    acct_l: list[np.ndarray] = []
    created_l: list[np.ndarray] = []
    deact_l: list[np.ndarray] = []
    lic_l: list[np.ndarray] = []
    big = 10**7
    for a in np.flatnonzero(lc.first_start >= 0):
        fs = int(lc.first_start[a])
        seats0 = core_start.get(int(a), int(acc.base_seats[a]))
        over = rng.random() < 0.08
        n_lic = max(1, int(round(seats0 * (rng.uniform(1.0, 1.25) if over
                                           else rng.uniform(0.6, 0.95)))))  # fmt: skip
        n_view = int(round(n_lic * rng.uniform(0.0, 0.3)))
        k = n_lic + n_view
        created = fs + np.minimum(rng.exponential(12, k), 75).astype(np.int64)
        lic = np.concatenate([np.ones(n_lic, bool), np.zeros(n_view, bool)])
        deact = np.full(k, big, dtype=np.int64)
        for f in sorted(fates_by_acct.get(int(a), []), key=lambda f: f.day):
            if f.day > E and f.fate != "expansion":
                continue
            alive = (created <= f.day) & (deact > f.day) & lic
            if f.fate == "expansion":
                add = f.seats_after - f.seats_before
                if f.flags.get("seat_utilization") and f.product == 0:
                    target = int(round(f.seats_before * rng.uniform(1.0, 1.2)))
                    need = max(0, target - int(alive.sum()))
                    s = f.signal_start
                    c_new = rng.integers(s, max(s + 1, f.day), need)
                elif f.day <= E:
                    need = 0
                    c_new = np.zeros(0, dtype=np.int64)
                else:
                    continue
                if f.day <= E:
                    grow = (
                        int(round(add * rng.uniform(0.4, 0.8)))
                        if f.product == 0
                        else int(round(add * rng.uniform(0.05, 0.25)))
                    )
                    c_new = np.concatenate([c_new, f.day + rng.integers(0, 60, grow)])
                created = np.concatenate([created, c_new])
                lic = np.concatenate([lic, np.ones(len(c_new), bool)])
                deact = np.concatenate([deact, np.full(len(c_new), big, np.int64)])
            elif f.fate == "contraction" and f.product == 0:
                keep = int(round(f.seats_after * rng.uniform(0.7, 0.95)))
                drop = np.flatnonzero(alive)
                rng.shuffle(drop)
                drop = drop[: max(0, int(alive.sum()) - keep)]
                deact[drop] = f.day + rng.integers(-45, 10, len(drop))
            elif f.fate == "churn":
                idx = np.flatnonzero((deact > f.day) & (created <= f.day))
                if f.flags.get("usage_decline") and f.signal_start >= 0:
                    early = idx[rng.random(len(idx)) < 0.2]
                    deact[early] = rng.integers(f.signal_start, f.day, len(early))
                late = idx[(rng.random(len(idx)) < 0.6) & (deact[idx] > f.day)]
                deact[late] = f.day + rng.integers(0, 30, len(late))
        # background turnover: people leave and are replaced
        leave = rng.random(len(created)) < 0.15
        tenure = rng.exponential(500, len(created)).astype(np.int64) + 30
        leave_day = created + tenure
        leave &= (leave_day < deact) & (leave_day <= E)
        deact = np.where(leave, leave_day, deact)
        repl = np.flatnonzero(leave & (lc.last_day[a] > leave_day))
        created = np.concatenate([created, leave_day[repl] + rng.integers(0, 20, len(repl))])
        lic = np.concatenate([lic, lic[repl]])
        deact = np.concatenate([deact, np.full(len(repl), big, np.int64)])
        keep = created <= E
        acct_l.append(np.full(int(keep.sum()), a, dtype=np.int64))
        created_l.append(created[keep])
        deact_l.append(deact[keep])
        lic_l.append(lic[keep])

    acct = np.concatenate(acct_l) if acct_l else np.zeros(0, np.int64)
    created = np.concatenate(created_l) if created_l else np.zeros(0, np.int64)
    deact = np.concatenate(deact_l) if deact_l else np.zeros(0, np.int64)
    lic = np.concatenate(lic_l) if lic_l else np.zeros(0, bool)
    order = np.lexsort((created, acct))
    acct, created, deact, lic = acct[order], created[order], deact[order], lic[order]
    n = len(acct)
    # roles: the first one to three users of an account are its admins
    first_of_acct = np.r_[True, acct[1:] != acct[:-1]] if n else np.zeros(0, bool)
    rank = np.arange(n) - np.maximum.accumulate(np.where(first_of_acct, np.arange(n), 0))
    n_admin = rng.integers(1, 4, acc.n)[acct]
    role = np.where((rank < n_admin) & lic, "admin",
                    np.where(lic, np.where(rng.random(n) < 0.93, "member", "viewer"),
                             "viewer")).astype(object)  # fmt: skip
    prop = np.exp(rng.normal(-0.245, 0.7, n)) * np.where(lic, 1.0, 0.35) * np.where(role == "admin", 1.3, 1.0)
    prop *= np.where(rng.random(n) < 0.12, 0.08, 1.0)

    # names: some users are the account's contacts, the others new people
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)].astype(object)
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)].astype(object)
    starts = np.searchsorted(acct, np.arange(acc.n + 1))
    for a, cl in contacts_by_acct.items():
        rows = np.arange(starts[a], starts[a + 1])[: len(cl)]
        for r, c in zip(rows, cl, strict=False):
            first[r] = con_.first_name[c]
            last[r] = con_.last_name[c]
    local = pd.Series([f"{f}.{la}".lower() for f, la in zip(first, last, strict=True)])
    dom = pd.Series(acc.domain[acct])
    dup = (local + "@" + dom).groupby([local, dom], sort=False).cumcount().to_numpy()
    email = obj([f"{lo}{k + 1 if k else ''}@{d}" for lo, k, d in zip(local, dup, dom, strict=True)])
    created_s = created * DAY_SECONDS + rng.integers(7 * 3600, 20 * 3600, n)
    deact_s = np.where(deact <= E, deact * DAY_SECONDS + rng.integers(0, DAY_SECONDS, n),
                       np.iinfo(np.int64).min)  # fmt: skip
    deact_s = np.where((deact_s != np.iinfo(np.int64).min) & (deact_s <= created_s),
                       created_s + 3600, deact_s)  # fmt: skip
    return Users(n=n, id=ids.stripe("usr_", n, 12), acct=acct, email=email, role=role,
                 is_licensed=lic, created_s=created_s, deact_s=deact_s,
                 prop=prop.astype(np.float32))  # fmt: skip


# ---------------------------------------------------------------------------------------
# Tracks (inside DuckDB)

FEATURES = [f for _, f, _ in FEATURE_CATALOG]
FEATURE_PRODUCT = [p for p, _, _ in FEATURE_CATALOG]
EVENT_A = [e[0] for _, _, e in FEATURE_CATALOG]
EVENT_B = [e[-1] for _, _, e in FEATURE_CATALOG]
MOD_OFFSET = [FEATURE_PRODUCT.index(p) for p in PRODUCTS]
MOD_NFEAT = [FEATURE_PRODUCT.count(p) for p in PRODUCTS]
HOLIDAYS = ((12, 24), (12, 25), (12, 26), (12, 27), (12, 28), (12, 29), (12, 30), (12, 31),
            (1, 1))  # fmt: skip


def _sql_list(values: list) -> str:
    return "[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "]"


def register_activity_frames(con: duckdb.DuckDBPyConnection, cfg: GenConfig, acc: Accounts,
                             daily: Daily, users: Users,
                             abandoned: list[Abandonment] | None = None) -> None:  # fmt: skip
    """Temp tables _acct_day (active account-days) and _user_grid for the tracks query.
    `abandoned`: add-on modules whose share of an account's events fades (adoption.py)."""
    W0, D = cfg.start_day, cfg.days
    days = W0 + np.arange(D)
    wd = weekday(days)
    week_f = np.where(wd == 5, 0.12, np.where(wd == 6, 0.08, 1.0))
    dates = days.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    hol = np.zeros(D, dtype=bool)
    for mm, dd in HOLIDAYS:
        hol |= (month == mm) & (dom == dd)
    day_f = (week_f * np.where(hol, 0.35, 1.0)).astype(np.float32)

    a_idx, d_idx = np.nonzero(daily.active)
    p = daily.base_p[a_idx] * daily.mult[a_idx, d_idx] * day_f[d_idx]
    mods = daily.mods[a_idx, d_idx]
    acct_w = np.exp(rng_for(cfg.seed, "activity").normal(0, 0.3, (acc.n, N_MOD)))
    w = MODULE_WEIGHTS[None, :] * acct_w[a_idx]
    module_fade(abandoned or [], a_idx, d_idx, w)
    bits = ((mods[:, None] >> np.arange(N_MOD, dtype=np.uint8)[None, :]) & 1).astype(np.float64)
    w = w * bits
    tot = w.sum(axis=1)
    tot[tot == 0] = 1.0
    cum = np.cumsum(w, axis=1) / tot[:, None]
    frame = pd.DataFrame({
        "a": a_idx.astype(np.int32),
        "d": d_idx.astype(np.int16),
        "p": p.astype(np.float32),
        "c1": cum[:, 0].astype(np.float32),
        "c2": cum[:, 1].astype(np.float32),
        "c3": cum[:, 2].astype(np.float32),
        "xm": daily.explore_mod[a_idx, d_idx].astype(np.int8),
        "xp": daily.explore_p[a_idx, d_idx].astype(np.float32),
        "br": daily.breadth[a_idx, d_idx].astype(np.float32),
    })  # fmt: skip
    con.register("_acct_day_df", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE _acct_day AS SELECT * FROM _acct_day_df")
    con.unregister("_acct_day_df")

    big = np.iinfo(np.int64).max
    deact_day = np.where(users.deact_s == np.iinfo(np.int64).min, big,
                         users.deact_s // DAY_SECONDS)  # fmt: skip
    s = np.clip(users.created_s // DAY_SECONDS - W0, 0, D)
    e = np.clip(deact_day - W0, 0, D)
    # local working day: 08:00 in the account's time zone, as seconds into the UTC day
    tz = acc.tz_hours[users.acct]
    z = np.mod(np.round((8.0 - tz) * 3600), DAY_SECONDS).astype(np.int32)
    keep = e > s
    grid = pd.DataFrame({
        "u": np.flatnonzero(keep).astype(np.int32),
        "uid": users.id[keep],
        "a": users.acct[keep].astype(np.int32),
        "s": s[keep].astype(np.int16),
        "e": e[keep].astype(np.int16),
        "prop": users.prop[keep],
        "z": z[keep],
    })  # fmt: skip
    con.register("_user_grid_df", grid)
    con.execute("CREATE OR REPLACE TEMP TABLE _user_grid AS SELECT * FROM _user_grid_df")
    con.unregister("_user_grid_df")


def _poisson_case(lam: float, u_expr: str) -> str:
    """SQL CASE giving 1 + Poisson(lam - 1) from a uniform `u_expr`."""
    mu = max(lam - 1.0, 0.0)
    if mu == 0:
        return "1"
    cdf = 0.0
    term = math.exp(-mu)
    parts = []
    k = 0
    while cdf < 1 - 1e-9 and k < 60:
        cdf += term
        parts.append(f"WHEN {u_expr} < {cdf!r} THEN {k + 1}")
        k += 1
        term *= mu / k
    return "CASE " + " ".join(parts) + f" ELSE {k + 1} END"


U53 = "9007199254740992.0"  # 2**53


def _unit(expr: str) -> str:
    """A uniform [0, 1) double from a UBIGINT hash."""
    return f"(({expr}) >> 11)::DOUBLE / {U53}"


def active_days_sql(cfg: GenConfig) -> str:
    seed = int(cfg.seed)
    return f"""
CREATE OR REPLACE TEMP TABLE _active_days AS
SELECT g.u, g.uid, g.z, ad.d, ad.c1, ad.c2, ad.c3, ad.xm, ad.xp, ad.br,
       hash({seed}, g.u, ad.d, 1) AS h1
FROM _user_grid AS g
JOIN _acct_day AS ad ON ad.a = g.a AND ad.d >= g.s AND ad.d < g.e
WHERE {_unit(f"hash({seed}, g.u, ad.d, 0)")} < least(ad.p * g.prop, 0.97)
"""


def _event_id_sql(seed: int, seq: str) -> str:
    """A random-looking, unique message id: upper-case hex (up to 16 digits) of a 3-round
    Feistel permutation of the unique 64-bit sequence number `seq` (round function:
    DuckDB's hash), so that ids never collide."""
    mask = "4294967295"
    expr_l, expr_r = f"(({seq}) >> 32)", f"(({seq}) & {mask})"
    for rnd in range(3):
        new_r = f"xor({expr_l}, hash({seed}, {rnd}, {expr_r}) & {mask})"
        expr_l, expr_r = expr_r, new_r
    return f"hex(({expr_l} << 32) | {expr_r})"


def events_select_sql(cfg: GenConfig, where: str = "TRUE") -> str:
    """Rows of product.tracks (plus helper columns) for the active user-days."""
    seed = int(cfg.seed)
    W0 = cfg.start_day
    n_case = _poisson_case(cfg.events_per_user_day, "(h1 >> 32)::DOUBLE / 4294967296.0")
    feats = _sql_list(FEATURES)
    ev_a = _sql_list(EVENT_A)
    ev_b = _sql_list(EVENT_B)
    prods = _sql_list(list(PRODUCTS))
    off = _sql_list(MOD_OFFSET)
    nf = _sql_list(MOD_NFEAT)
    cap = cfg.load_cap_s
    return f"""
WITH ev AS (
    SELECT *, unnest(range({n_case})) AS k FROM _active_days
),
hashed AS (
    SELECT *,
        hash({seed}, u, d, k, 2) AS h2,
        hash({seed}, u, d, k, 3) AS h3,
        ({W0} + d)::BIGINT * 86400 AS day_s,
        (u::UBIGINT << 24) | (d::UBIGINT << 9) | k::UBIGINT AS seq,
        ((h2 >> 16) & 65535)::FLOAT / 65536.0 AS um
    FROM ev
    WHERE {where}
),
moded AS (
    SELECT *,
        CASE
            WHEN k = 0 THEN -1
            WHEN xm >= 0 AND (h2 & 65535)::DOUBLE / 65536.0 < xp THEN xm
            WHEN um < c1 THEN 0
            WHEN um < c2 THEN 1
            WHEN um < c3 THEN 2
            ELSE 3
        END AS m,
        (z + ((h1 & 4294967295) % 32400)::BIGINT + k * 50 + ((h2 >> 56) * 3)::BIGINT)
            % 86400 AS sec
    FROM hashed
),
featured AS (
    SELECT *,
        CASE WHEN m >= 0 THEN 1 + {off}[m + 1] + least(
            {nf}[m + 1] - 1,
            floor(pow(((h2 >> 32) & 65535)::DOUBLE / 65536.0, 1.7)
                  * greatest(1, round(br * {nf}[m + 1])))::INTEGER)
        END AS fi
    FROM moded
)
SELECT
    {_event_id_sql(seed, "seq")} AS id,
    uid AS user_id,
    CASE
        WHEN m < 0 THEN '{SESSION_EVENT}'
        WHEN ((h2 >> 48) & 255) < 200 THEN {ev_a}[fi]
        ELSE {ev_b}[fi]
    END AS event,
    CASE WHEN m >= 0 THEN {feats}[fi] END AS feature,
    CASE WHEN m >= 0 THEN {prods}[m + 1] END AS product_id,
    make_timestamp((day_s + sec) * 1000000) AS timestamp,
    make_timestamp((day_s + sec + 1 + (h3 & 31)::BIGINT) * 1000000) AS received_at,
    make_timestamp(greatest(
        day_s + sec + 1 + (h3 & 31)::BIGINT,
        least(day_s + sec + 1 + (h3 & 31)::BIGINT + 300 + ((h3 >> 8) % 10800)::BIGINT,
              {cap}::BIGINT)) * 1000000) AS _loaded_at,
    u, d, k, h3
FROM featured
"""
