"""Relationship and outcome data: CRM meetings (crm.event), success goals, opportunities,
support organizations and tickets, NPS responses. Each carries the planted signals of
`Daily` (lost executive contact, ticket spikes, detractor NPS, stalled onboarding)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from healthgen.accounts import Accounts, Contacts
from healthgen.activity import Daily, Users
from healthgen.catalog import CURRENCIES, PRODUCTS, unit_amount
from healthgen.common import (
    DAY_SECONDS,
    FIRST_NAMES,
    LAST_NAMES,
    NULL_INT,
    GenConfig,
    IdFactory,
    choice,
    obj,
    rng_for,
    weekday,
)
from healthgen.lifecycle import Lifecycle, item_unit_amounts


def _business_time(rng: np.random.Generator, days: np.ndarray, tz: np.ndarray) -> np.ndarray:
    """Seconds since epoch at a local working hour (09:00-17:30) of each day."""
    local = rng.integers(9 * 3600, 17 * 3600 + 1800, len(days))
    return days.astype(np.int64) * DAY_SECONDS + local - np.round(tz * 3600).astype(np.int64)


def _loaded(rng: np.random.Generator, cfg: GenConfig, last_change_s: np.ndarray,
            lo: int = 300, hi: int = 6 * 3600) -> np.ndarray:  # fmt: skip
    """Load time: a few minutes to hours after the last change, never after the last sync
    (but never before the change either)."""
    t = last_change_s + rng.integers(lo, hi, len(last_change_s))
    return np.maximum(np.minimum(t, cfg.load_cap_s), last_change_s)


def _recent_loaded(rng: np.random.Generator, cfg: GenConfig, created_s: np.ndarray
                   ) -> np.ndarray:  # fmt: skip
    """Load time of a frequently edited CRM record: its last edit was in the last months."""
    edit = cfg.load_cap_s - rng.integers(3600, 120 * DAY_SECONDS, len(created_s))
    return np.maximum(edit, created_s + 60)


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


def _pick_in_groups(rng: np.random.Generator, group: np.ndarray, values: np.ndarray,
                    want: np.ndarray, n_groups: int) -> np.ndarray:  # fmt: skip
    """For each entry of `want` (a group number), a random one of the `values` whose
    `group` it is; -1 when the group has none."""
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(n_groups + 1))
    count = starts[1:] - starts[:-1]
    k = count[want]
    r = (rng.random(len(want)) * np.maximum(k, 1)).astype(np.int64)
    pos = np.minimum(starts[want] + r, max(len(order) - 1, 0))
    out = values[order[pos]] if len(order) else np.zeros(len(want), dtype=np.int64)
    return np.where(k > 0, out, -1)


# ---------------------------------------------------------------------------------------
# crm.event


PERSONAS = ("executive_sponsor", "decision_maker", "champion", "influencer", "end_user", None)


def _persona_code(con_: Contacts) -> np.ndarray:
    index = {p: i for i, p in enumerate(PERSONAS)}
    return np.array([index[p] for p in con_.persona], dtype=np.int64)


def _pick_persona(rng: np.random.Generator, con_: Contacts, code: np.ndarray, accts: np.ndarray,
                  personas: tuple, n_accounts: int) -> np.ndarray:  # fmt: skip
    """A contact of each account in `accts` with one of `personas` (else any of its contacts,
    else -1)."""
    wanted = np.isin(code, [PERSONAS.index(p) for p in personas])
    first = _pick_in_groups(rng, con_.account[wanted], np.flatnonzero(wanted), accts, n_accounts)
    anyone = _pick_in_groups(rng, con_.account, np.arange(con_.n), accts, n_accounts)
    return np.where(first >= 0, first, anyone)


def build_crm_events(cfg: GenConfig, acc: Accounts, lc: Lifecycle, con_: Contacts, daily: Daily,
                     ids: IdFactory) -> dict[str, np.ndarray]:  # fmt: skip
    """Meetings and calls: periodic reviews (EBR / QBR, or a review call for SMB), check-in
    meetings and calls, onboarding trainings, trainings after expansions and renewal
    planning meetings -- on days the account has a running subscription."""
    rng = rng_for(cfg.seed, "events")
    W0, E, D = cfg.start_day, cfg.end_day, cfg.days
    n = acc.n
    code = _persona_code(con_)
    payer = lc.first_start >= 0
    ent, mid, smb = (acc.tier == "enterprise"), (acc.tier == "mid_market"), (acc.tier == "smb")
    low_touch = np.where(rng.random(n) < 0.15, 2.0, 1.0)  # rarely see their executives
    parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray, np.ndarray]] = []

    def series(mask: np.ndarray, period: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Roughly periodic days (window indexes) of the accounts in `mask`."""
        accts = np.flatnonzero(mask & payer)
        per = np.asarray(period, dtype=float)[accts]
        start = np.floor(rng.random(len(accts)) * per)
        cnt = np.maximum(np.ceil((D - start) / per), 0).astype(np.int64)
        a = np.repeat(accts, cnt)
        j = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        p = np.repeat(per, cnt)
        d = np.round(np.repeat(start, cnt) + j * p + rng.normal(0, 1, len(a)) * p * 0.12)
        d = d.astype(np.int64)
        ok = (d >= 0) & (d < D)
        a, d = a[ok], d[ok]
        ok = daily.active[a, d]
        return a[ok], d[ok]

    def add(a: np.ndarray, d: np.ndarray, typ: str, personas: tuple, subjects: tuple,
            no_one: float = 0.0) -> None:  # fmt: skip
        who = _pick_persona(rng, con_, code, a, personas, n)
        who[rng.random(len(a)) < no_one] = -1
        parts.append((a, d, typ, who, choice(rng, subjects, len(a))))

    a, d = series(ent, 90 * low_touch)
    add(
        a,
        d,
        "EBR",
        ("executive_sponsor", "decision_maker"),
        ("Executive business review", "EBR", "Annual executive review"),
    )
    a, d = series(ent, np.full(n, 90.0))
    add(a, d, "QBR", ("decision_maker", "champion"),
        ("Quarterly business review", "QBR", "Quarterly review and roadmap"))  # fmt: skip
    a, d = series(mid, 100 * low_touch)
    add(a, d, "QBR", ("decision_maker", "executive_sponsor", "champion"),
        ("Quarterly business review", "QBR", "Quarterly review and roadmap"))  # fmt: skip
    a, d = series(smb, 150 * low_touch)
    add(a, d, "Call", ("decision_maker", "champion"),
        ("Account review call", "Check-in with decision maker"))  # fmt: skip
    a, d = series(np.ones(n, dtype=bool), np.where(ent, 35.0, np.where(mid, 50.0, 120.0)))
    add(a, d, "Meeting", ("champion", "influencer"),
        ("Check-in", "Roadmap review", "Success plan review", "Use-case workshop"))  # fmt: skip
    a, d = series(np.ones(n, dtype=bool), np.where(ent, 45.0, np.where(mid, 60.0, 90.0)))
    add(
        a,
        d,
        "Call",
        ("champion", "influencer", "end_user", None),
        ("Check-in call", "Support follow-up", "Adoption call", "Billing question"),
        0.2,
    )

    # onboarding trainings (hardly any when onboarding stalls)
    new = np.flatnonzero(payer & (lc.first_start >= W0 - 60))
    k = np.where(daily.stalled[new], (rng.random(len(new)) < 0.25).astype(np.int64),
                 rng.integers(2, 5, len(new)))  # fmt: skip
    a = np.repeat(new, k)
    d = lc.first_start[a] - W0 + rng.integers(3, 60, len(a))
    ok = (d >= 0) & (d < D)
    add(a[ok], d[ok], "Training", ("champion", "end_user"),
        ("Onboarding training", "Admin training", "Onboarding: dashboards",
         "Training: reports and sharing"))  # fmt: skip

    # trainings after expansions, renewal planning before annual renewals
    f_acct = np.array([f.acct for f in lc.fates], dtype=np.int64)
    f_day = np.array([f.day for f in lc.fates], dtype=np.int64) - W0
    f_exp = np.array([f.fate == "expansion" for f in lc.fates], dtype=bool)
    f_prod = np.array([max(f.product, 0) for f in lc.fates], dtype=np.int64)
    f_renew = np.array([f.interval == "year" and f.fate != "expansion" for f in lc.fates],
                       dtype=bool)  # fmt: skip
    m = f_exp & (f_day >= 0) & (f_day < D - 5) & (rng.random(len(f_acct)) < 0.6)
    d = f_day[m] + rng.integers(0, 21, int(m.sum()))
    ok = d < D
    who = _pick_persona(rng, con_, code, f_acct[m][ok], ("champion", "end_user"), n)
    module = np.array([p.removeprefix("prod_").capitalize() for p in PRODUCTS], dtype=object)
    parts.append(
        (
            f_acct[m][ok],
            d[ok],
            "Training",
            who,
            np.char.add("Training: ", module[f_prod[m][ok]].astype(str)).astype(object),
        )
    )
    d = f_day - rng.integers(20, 60, len(f_acct))
    m = f_renew & (d >= 0) & (d < D)
    m[m] = daily.active[f_acct[m], d[m]]
    add(f_acct[m], d[m], "Meeting", ("decision_maker",), ("Renewal planning",))

    acct = np.concatenate([p[0] for p in parts]).astype(np.int64)
    day = np.concatenate([p[1] for p in parts]).astype(np.int64)
    typ = np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts])
    who = np.concatenate([p[3] for p in parts]).astype(np.int64)
    subject = np.concatenate([p[4] for p in parts])
    # lost executive contact: the reviews and every meeting with an executive vanish
    lost = daily.exec_lost[acct, day]
    exec_touch = np.isin(typ, ["EBR", "QBR"]) | ((who >= 0) & (code[np.maximum(who, 0)] <= 1))
    keep = ~(lost & exec_touch & (rng.random(len(acct)) < 0.95))
    acct, day, typ, who, subject = acct[keep], day[keep], typ[keep], who[keep], subject[keep]
    order = np.lexsort((subject.astype(str), typ.astype(str), day, acct))
    acct, day, typ, who, subject = acct[order], day[order], typ[order], who[order], subject[order]
    k = len(acct)
    when = _business_time(rng, day + W0, acc.tz_hours[acct])
    when = np.minimum(when, (E + 1) * DAY_SECONDS - 60)
    who_id = np.where(who >= 0, con_.id[np.maximum(who, 0)] if con_.n else None, None)
    return {
        "id": ids.salesforce("00U", k),
        "acct": acct,
        "who_id": who_id,
        "subject": subject,
        "type": typ,
        "activity_s": when,
        "loaded_s": _loaded(rng, cfg, when, 3600, 48 * 3600),
    }


# ---------------------------------------------------------------------------------------
# crm.success_goal

GOALS = (
    "Cut monthly reporting time in half",
    "Roll out dashboards to every regional team",
    "Automate weekly KPI alerts",
    "Connect the data warehouse",
    "Single sign-on for all users",
    "Executive scorecard adopted by leadership",
    "Replace spreadsheet-based forecasting",
    "Self-serve analytics for the sales team",
    "Reduce time to close the books by 2 days",
    "Operational alerts for the support team",
    "Train 50 power users",
    "Consolidate legacy BI tools",
)


def build_goals(cfg: GenConfig, acc: Accounts, lc: Lifecycle, daily: Daily, ids: IdFactory
                ) -> dict[str, np.ndarray]:  # fmt: skip
    rng = rng_for(cfg.seed, "goals")
    E = cfg.end_day
    neg: dict[int, list[tuple[int, int]]] = {}
    for f in lc.fates:
        if f.fate in ("churn", "contraction") and f.noise is None:
            neg.setdefault(f.acct, []).append((f.signal_start - 120, f.day))
    rows: dict[str, list] = {k: [] for k in ("acct", "name", "created", "target", "status",
                                              "achieved", "validated")}  # fmt: skip
    for a in np.flatnonzero(lc.first_start >= 0):
        a = int(a)
        fs = int(lc.first_start[a])
        end = min(int(lc.last_day[a]), E)
        k = int(rng.integers(1, 6))
        names = rng.permutation(len(GOALS))[:k]
        for j in range(k):
            if j == 0 or end - fs < 120:
                c = fs + int(rng.integers(0, 30))
            else:
                c = fs + int(rng.integers(0, max(1, min(end - fs, 700))))
            c = min(c, E)
            target = c + int(rng.integers(60, 271))
            bad = daily.stalled[a] or any(lo <= target <= hi + 60 for lo, hi in neg.get(a, []))
            if target > E or target > end + 30:
                if target > E and end >= E:
                    status = "not_started" if (c > E - 45 and rng.random() < 0.5) else ("in_progress")
                else:
                    status = "missed" if bad or rng.random() < 0.5 else "achieved"
            else:
                status = "achieved" if rng.random() < (0.2 if bad else 0.75) else "missed"
            achieved = -1
            if status == "achieved":
                achieved = min(max(c + 10, target - int(rng.integers(-30, 60))), E)
            rows["acct"].append(a)
            rows["name"].append(GOALS[names[j]])
            rows["created"].append(c)
            rows["target"].append(target)
            rows["status"].append(status)
            rows["achieved"].append(achieved)
            rows["validated"].append(status == "achieved" and rng.random() < 0.75)
    acct = np.array(rows["acct"], dtype=np.int64)
    created = np.array(rows["created"], dtype=np.int64)
    achieved = np.array(rows["achieved"], dtype=np.int64)
    n = len(acct)
    created_s = created * DAY_SECONDS + rng.integers(8 * 3600, 18 * 3600, n)
    last = np.maximum(created_s, np.where(achieved >= 0, achieved * DAY_SECONDS + 43200, 0))
    return {
        "id": ids.salesforce("a0G", n),
        "acct": acct,
        "name": obj(rows["name"]),
        "status": obj(rows["status"]),
        "target": np.array(rows["target"], dtype=np.int64),
        "achieved": np.where(achieved >= 0, achieved, NULL_INT),
        "validated": np.array(rows["validated"], dtype=bool),
        "loaded_s": _loaded(rng, cfg, last, 600, 3 * DAY_SECONDS),
    }


# ---------------------------------------------------------------------------------------
# crm.opportunity


def build_opportunities(cfg: GenConfig, acc: Accounts, lc: Lifecycle, ids: IdFactory
                        ) -> dict[str, np.ndarray]:  # fmt: skip
    rng = rng_for(cfg.seed, "opportunities")
    E = cfg.end_day
    unit = item_unit_amounts(acc, lc)
    items_by_sub: dict[int, list[int]] = {}
    for j, s in enumerate(lc.item_sub):
        items_by_sub.setdefault(s, []).append(j)

    def acv(s: int, day: int) -> float:
        """Annual contract value (major units) of subscription `s` on `day`."""
        tot = sum(lc.item_qty[j] * unit[j] for j in items_by_sub.get(s, [])
                  if lc.item_created[j] <= day)  # fmt: skip
        if lc.sub_interval[s] == "month":
            tot *= 12
        return tot / 10 ** CURRENCIES[acc.currency[lc.sub_acct[s]]][0]

    rows: dict[str, list] = {k: [] for k in ("acct", "type", "stage", "amount", "close",
                                              "created")}  # fmt: skip

    def add(a: int, typ: str, stage: str, amount: float, close: int, created: int) -> None:
        if created > E:
            return
        rows["acct"].append(a)
        rows["type"].append(typ)
        rows["stage"].append(stage)
        rows["amount"].append(round(amount, 2))
        rows["close"].append(close)
        rows["created"].append(created)

    first_sub: dict[int, int] = {}
    for s, a in enumerate(lc.sub_acct):
        first_sub.setdefault(a, s)
    for a, s in first_sub.items():
        fs = lc.sub_start[s]
        close = fs - int(rng.integers(0, 10))
        add(a, "New Business", "Closed Won", acv(s, fs), close, close - int(rng.integers(20, 150)))
    open_stage = ("Qualification", "Proposal", "Negotiation")
    for f in lc.fates:
        s = f.sub
        if f.fate == "expansion":
            cur = acc.currency[f.acct]
            added = (
                (f.seats_after - f.seats_before)
                * unit_amount(PRODUCTS[f.product], cur, f.interval)
                * (12 if f.interval == "month" else 1)
            )
            amount = added / 10 ** CURRENCIES[cur][0]
            if f.day <= E:
                add(f.acct, "Expansion", "Closed Won", amount, f.day,
                    f.day - int(rng.integers(20, 90)))  # fmt: skip
            elif f.day <= E + 90:
                add(f.acct, "Expansion", open_stage[int(rng.integers(3))], max(amount, 100.0),
                    f.day, E - int(rng.integers(0, 40)))  # fmt: skip
        elif f.interval == "year" and f.fate in ("renewal", "contraction", "churn"):
            current = acv(s, f.day - 1)
            created = f.day - int(rng.integers(90, 150))
            notice_known = lc.sub_canceled[s] >= 0 and lc.sub_canceled[s] <= E
            if f.fate == "churn" and (f.day <= E or notice_known):
                close = lc.sub_canceled[s] if notice_known else f.day
                add(f.acct, "Renewal", "Closed Lost", current, close, min(created, close - 5))
            elif f.day <= E:
                nxt = s + 1  # the next term's subscription
                amount = (
                    acv(nxt, f.day) if nxt < len(lc.sub_acct) and (lc.sub_acct[nxt] == f.acct) else current
                )
                add(f.acct, "Renewal", "Closed Won", amount, f.day - int(rng.integers(0, 20)),
                    created)  # fmt: skip
            elif f.day <= E + 180:
                stage = open_stage[min(2, max(0, 2 - (f.day - E) // 60))]
                add(f.acct, "Renewal", stage, current, f.day, created)
    # lost expansion pitches (noise) and prospects' pipeline
    for a in np.flatnonzero(lc.first_start >= 0):
        if rng.random() < 0.1:
            d = int(rng.integers(max(int(lc.first_start[a]), cfg.start_day), E + 1))
            add(int(a), "Expansion", "Closed Lost", float(rng.integers(2, 40) * 600), d,
                d - int(rng.integers(20, 90)))  # fmt: skip
    for a in np.flatnonzero(acc.kind == "prospect"):
        if rng.random() < 0.6:
            amount = float(acc.base_seats[a] * rng.uniform(300, 900))
            r = rng.random()
            if r < 0.4:
                close = int(rng.integers(cfg.start_day, E))
                add(int(a), "New Business", "Closed Lost", amount, close,
                    close - int(rng.integers(30, 200)))  # fmt: skip
            else:
                stage = ("Prospecting", "Qualification", "Proposal", "Negotiation")[int(rng.integers(4))]
                add(int(a), "New Business", stage, amount, E + int(rng.integers(10, 180)),
                    E - int(rng.integers(5, 200)))  # fmt: skip
    acct = np.array(rows["acct"], dtype=np.int64)
    n = len(acct)
    stage = obj(rows["stage"])
    closed = np.isin(stage, ["Closed Won", "Closed Lost"])
    close = np.array(rows["close"], dtype=np.int64)
    created_s = np.array(rows["created"], dtype=np.int64) * DAY_SECONDS + rng.integers(8 * 3600, 18 * 3600, n)
    last = np.where(closed, np.minimum(close, E) * DAY_SECONDS + 50000, created_s)
    typ = obj(rows["type"])
    year = close.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    name = obj([f"{acc.name[a]} - {t} {y}" for a, t, y in zip(acct, typ, year, strict=True)])
    return {
        "id": ids.salesforce("006", n),
        "acct": acct,
        "name": name,
        "type": typ,
        "stage": stage,
        "amount": np.array(rows["amount"], dtype=float),
        "currency": obj([acc.currency[a].upper() for a in acct]),
        "close": close,
        "is_closed": closed,
        "is_won": stage == "Closed Won",
        "created_s": created_s,
        "loaded_s": _loaded(rng, cfg, np.maximum(last, created_s), 600, 2 * DAY_SECONDS),
    }


# ---------------------------------------------------------------------------------------
# support


def build_support(cfg: GenConfig, acc: Accounts, lc: Lifecycle, con_: Contacts, users: Users,
                  daily: Daily, ids: IdFactory) -> tuple[dict, dict]:  # fmt: skip
    rng = rng_for(cfg.seed, "tickets")
    E, W0, D = cfg.end_day, cfg.start_day, cfg.days
    orgs_acct = np.flatnonzero(lc.first_start >= 0)
    org_ids = ids.integers(len(orgs_acct), 360_000_000_000, 370_000_000_000)
    external = acc.id[orgs_acct].copy()
    external[rng.random(len(orgs_acct)) < 0.02] = None
    org_created = (lc.first_start[orgs_acct] - 3) * DAY_SECONDS + rng.integers(
        0, DAY_SECONDS, len(orgs_acct))  # fmt: skip
    orgs = {
        "id": org_ids,
        "external_id": external,
        "name": acc.name[orgs_acct].copy(),
        "loaded_s": _recent_loaded(rng, cfg, org_created),
    }
    org_of = np.full(acc.n, -1, dtype=np.int64)
    org_of[orgs_acct] = org_ids

    # tickets: a Poisson count per account-day
    seats = acc.base_seats.astype(float)
    base = (0.25 + 0.06 * np.sqrt(seats)) / 30.0 * np.exp(rng.normal(0, 0.35, acc.n))
    wd = weekday(W0 + np.arange(D))
    day_f = np.where(wd >= 5, 0.3, 1.15)
    rate = daily.active * base[:, None] * daily.ticket_mult * day_f[None, :]
    onboarding = np.arange(D)[None, :] + W0 - lc.first_start[:, None]
    rate = rate * np.where((onboarding >= 0) & (onboarding < 60), 1.8, 1.0)
    counts = rng.poisson(rate)
    a_idx, d_idx = np.nonzero(counts)
    reps = counts[a_idx, d_idx]
    acct = np.repeat(a_idx, reps)
    dd = np.repeat(d_idx, reps)
    n = len(acct)
    sev = daily.severe[acct, dd]
    pr = rng.random(n)
    priority = np.where(
        sev,
        np.where(pr < 0.08, "low", np.where(pr < 0.35, "normal", np.where(pr < 0.7, "high",
                 np.where(pr < 0.95, "urgent", None)))),
        np.where(pr < 0.22, "low", np.where(pr < 0.74, "normal", np.where(pr < 0.9, "high",
                 np.where(pr < 0.95, "urgent", None)))),
    ).astype(object)  # fmt: skip
    day = W0 + dd
    created_s = _business_time(rng, day, acc.tz_hours[acct])
    created_s = np.minimum(created_s, (E + 1) * DAY_SECONDS - 120)
    age = E - day
    sr = rng.random(n)
    status = np.where(
        age > 20,
        np.where(sr < 0.7, "solved", "closed"),
        np.where(sr < 0.15, "new", np.where(sr < 0.45, "open", np.where(
            sr < 0.6, "pending", np.where(sr < 0.65, "hold", "solved")))),
    ).astype(object)  # fmt: skip
    status[(status == "closed") & (age <= 30)] = "solved"
    hours = np.exp(rng.normal(np.log(18), 1.2, n)) * np.where(sev, 2.0, 1.0)
    solved_s = created_s + (hours * 3600).astype(np.int64)
    is_solved = np.isin(status, ["solved", "closed"])
    late = is_solved & (solved_s >= cfg.load_cap_s)
    status[late] = "open"
    is_solved &= ~late
    solved_s = np.where(is_solved, solved_s, NULL_INT)
    cr = rng.random(n)
    csat = np.where(
        sev,
        np.where(cr < 0.25, "offered", np.where(cr < 0.45, "unoffered",
                 np.where(cr < 0.6, "good", "bad"))),
        np.where(cr < 0.3, "offered", np.where(cr < 0.55, "unoffered",
                 np.where(cr < 0.93, "good", "bad"))),
    ).astype(object)  # fmt: skip
    csat[~is_solved] = "unoffered"
    typ = choice(rng, ("problem", "incident", "question", "task", None), n,
                 [0.3, 0.2, 0.35, 0.1, 0.05])  # fmt: skip
    # requesters: the account's contacts (as typed in the CRM) or product users, lower-cased
    c_acct = con_.account[np.array([e is not None for e in con_.email], dtype=bool)]
    c_idx = np.flatnonzero(np.array([e is not None for e in con_.email], dtype=bool))
    c_pick = _pick_in_groups(rng, c_acct, c_idx, acct, acc.n)
    u_pick = _pick_in_groups(rng, users.acct, np.arange(users.n), acct, acc.n)
    use_contact = ((rng.random(n) < 0.55) & (c_pick >= 0)) | (u_pick < 0)
    requester = np.where(
        use_contact,
        con_.email[np.maximum(c_pick, 0)] if con_.n else None,
        users.email[np.maximum(u_pick, 0)] if users.n else None,
    )
    requester[(c_pick < 0) & (u_pick < 0)] = None
    requester = obj([x.lower() if isinstance(x, str) else None for x in requester])
    tickets = {
        "id": np.arange(n, dtype=np.int64) + 1001,
        "org": org_of[acct],
        "requester": requester,
        "priority": priority,
        "status": status,
        "type": typ,
        "created_s": created_s,
        "solved_s": solved_s,
        "csat": csat,
        "loaded_s": _loaded(
            rng, cfg, np.maximum(created_s, np.where(is_solved, solved_s, 0)), 300, 12 * 3600
        ),  # fmt: skip
    }
    order_t = np.argsort(created_s, kind="stable")
    for k in tickets:
        if k != "id":
            tickets[k] = tickets[k][order_t]
    return orgs, tickets


# ---------------------------------------------------------------------------------------
# survey.nps_response

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
    created_s = _business_time(rng, W0 + dd, acct_tz) + rng.integers(-3 * 3600, 5 * 3600, n)
    created_s = np.minimum(created_s, (E + 1) * DAY_SECONDS - 60)
    order = np.argsort(created_s, kind="stable")
    return {
        "id": ids.stripe("nps_", n, 16),
        "email": email[order],
        "score": score[order].astype(np.int64),
        "comment": comment[order],
        "created_s": created_s[order],
        "loaded_s": _loaded(rng, cfg, created_s[order], 600, 12 * 3600),
    }
