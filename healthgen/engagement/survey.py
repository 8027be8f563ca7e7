"""NPS survey answers (survey.nps_response): waves of the account's contacts, the planted
detractor answers, and a few answers from people who are no contact."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from healthgen.accounts import Accounts, Contacts
from healthgen.activity import Daily
from healthgen.common import (
    DAY_SECONDS,
    FIRST_NAMES,
    LAST_NAMES,
    GenConfig,
    IdFactory,
    choice,
    obj,
    rng_for,
)
from healthgen.engagement.shared import business_time, loaded
from healthgen.lifecycle import Lifecycle


@dataclass
class Persons:
    """Contacts of each account by persona."""

    by_acct: dict[int, dict[str | None, list[int]]]

    @classmethod
    def of(cls, con_: Contacts) -> Persons:
        out: dict[int, dict[str | None, list[int]]] = {}
        for c in range(con_.n):
            out.setdefault(int(con_.account[c]), {}).setdefault(con_.persona[c], []).append(c)
        return cls(out)


COMMENTS = {
    "detractor": ("Too slow and the reports keep breaking.", "Support takes days to answer.",
                  "We are not getting the value we expected.", "Hard to use for our team.",
                  "Pricing is too high for what we use.", "Missing key integrations."),
    "passive": ("Does the job.", "Good, but onboarding was rough.", "Solid product, some gaps.",
                "OK for reporting, automation could be better."),
    "promoter": ("Love the dashboards!", "Our whole team relies on it.",
                 "Great support and product.", "Saves us hours every week.",
                 "The automation features are fantastic."),
}  # fmt: skip


def _recase(rng: np.random.Generator, email: str) -> str:
    r = rng.random()
    if r < 0.45:
        return email.lower()
    if r < 0.6:
        return email.upper()
    local, _, dom = email.partition("@")
    if r < 0.85:
        return local.title() + "@" + dom.lower()
    return local.lower() + "@" + dom.upper()


def _scores(rng: np.random.Generator, n: int, p_det: np.ndarray) -> np.ndarray:
    u = rng.random(n)
    det = rng.integers(0, 7, n)
    det = np.where(rng.random(n) < 0.6, rng.integers(3, 7, n), det)
    passive = rng.integers(7, 9, n)
    promoter = rng.integers(9, 11, n)
    p_pas = (1 - p_det) * 0.38
    return np.where(u < p_det, det, np.where(u < p_det + p_pas, passive, promoter))


def build_nps(cfg: GenConfig, acc: Accounts, lc: Lifecycle, con_: Contacts, daily: Daily,
              ids: IdFactory) -> dict[str, np.ndarray]:  # fmt: skip
    rng = rng_for(cfg.seed, "nps")
    E, W0, D = cfg.end_day, cfg.start_day, cfg.days
    resp_p = {"executive_sponsor": 0.15, "decision_maker": 0.2, "champion": 0.4,
              "influencer": 0.3, "end_user": 0.25, None: 0.2}  # fmt: skip
    persons = Persons.of(con_)
    sentiment = np.clip(rng.normal(0.12, 0.07, acc.n), 0.02, 0.4)  # baseline P(detractor)
    rows_c: list[np.ndarray] = []
    rows_d: list[np.ndarray] = []
    for a in np.flatnonzero(lc.first_start >= 0):
        a = int(a)
        phase = int(rng.integers(0, 182))
        waves = np.arange(phase, D, 182)
        waves = waves[daily.active[a, waves]] if len(waves) else waves
        contacts = [c for lst in persons.by_acct.get(a, {}).values() for c in lst
                    if con_.email[c] is not None]  # fmt: skip
        if not contacts:
            continue
        cs = np.array(contacts, dtype=np.int64)
        pr = np.array([resp_p[con_.persona[c]] for c in cs])
        for w in waves.tolist():
            hit = cs[rng.random(len(cs)) < pr]
            delay = np.minimum(rng.exponential(4, len(hit)).astype(np.int64), 20)
            rows_c.append(hit)
            rows_d.append(np.minimum(w + delay, D - 1))
    # detractor signal: make sure someone answers (badly) within the window
    for f in lc.fates:
        if f.flags.get("detractor_nps") and f.signal_start >= 0:
            lo, hi = max(f.signal_start, W0), min(f.day if f.noise is None else
                                                  f.signal_start + (f.day - f.signal_start) // 2,
                                                  E)  # fmt: skip
            contacts = [c for lst in persons.by_acct.get(f.acct, {}).values() for c in lst
                        if con_.email[c] is not None]  # fmt: skip
            if hi > lo and contacts:
                rows_c.append(np.array([contacts[int(rng.integers(len(contacts)))]]))
                rows_d.append(np.array([int(rng.integers(lo, hi)) - W0]))
    contact = np.concatenate(rows_c) if rows_c else np.zeros(0, np.int64)
    dd = np.concatenate(rows_d) if rows_d else np.zeros(0, np.int64)
    acct = con_.account[contact]
    n = len(contact)
    p_det = np.where(daily.detractor[acct, dd], 0.75,
                     np.where(daily.stalled[acct], 0.4, sentiment[acct]))  # fmt: skip
    score = _scores(rng, n, p_det)
    email = obj([_recase(rng, con_.email[c]) for c in contact])
    # a few answers from people who are no contact (forwarded surveys, personal addresses)
    k = max(1, int(round(n * 0.04))) if n else 0
    stray_d = rng.integers(0, D, k)
    stray_email = obj([f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))].lower()}."
                       f"{LAST_NAMES[rng.integers(len(LAST_NAMES))].lower()}"
                       f"{int(rng.integers(1, 99))}@gmail.com" for _ in range(k)])  # fmt: skip
    email = np.concatenate([email, stray_email])
    dd = np.concatenate([dd, stray_d])
    score = np.concatenate([score, _scores(rng, k, np.full(k, 0.2))])
    acct_tz = np.concatenate([acc.tz_hours[acct], np.zeros(k)])
    n = len(email)
    band = np.where(score <= 6, "detractor", np.where(score <= 8, "passive", "promoter"))
    comment = np.empty(n, dtype=object)
    for b in ("detractor", "passive", "promoter"):
        m = band == b
        comment[m] = choice(rng, COMMENTS[b], int(m.sum()))
    comment[rng.random(n) < 0.45] = None
    created_s = business_time(rng, W0 + dd, acct_tz) + rng.integers(-3 * 3600, 5 * 3600, n)
    created_s = np.minimum(created_s, (E + 1) * DAY_SECONDS - 60)
    order = np.argsort(created_s, kind="stable")
    return {
        "id": ids.stripe("nps_", n, 16),
        "email": email[order],
        "score": score[order].astype(np.int64),
        "comment": comment[order],
        "created_s": created_s[order],
        "loaded_s": loaded(rng, cfg, created_s[order], 600, 12 * 3600),
    }
