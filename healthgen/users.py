"""Product users: the user directory of every paying account (licensed and viewer seats,
growth before expansions, cuts after contractions and churn, background turnover)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthgen.accounts import Accounts, Contacts
from healthgen.common import (
    DAY_SECONDS,
    FIRST_NAMES,
    LAST_NAMES,
    GenConfig,
    IdFactory,
    obj,
    rng_for,
)
from healthgen.lifecycle import Fate, Lifecycle


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
