"""Product usage state: the account x day activity state, with the planted usage signals
(decline, breadth, exploring unlicensed modules). The user directory is in users.py,
product.tracks (generated inside DuckDB) in tracks.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from healthgen.accounts import Accounts
from healthgen.common import GenConfig, rng_for
from healthgen.lifecycle import N_MOD, Fate, Lifecycle


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
