"""CRM records: meetings and calls (crm.event), success goals (crm.success_goal) and
opportunities (crm.opportunity)."""

from __future__ import annotations

import numpy as np

from healthgen.accounts import Accounts, Contacts
from healthgen.activity import Daily
from healthgen.billing import item_unit_amounts
from healthgen.catalog import CURRENCIES, PRODUCTS, unit_amount
from healthgen.common import (
    DAY_SECONDS,
    NULL_INT,
    GenConfig,
    IdFactory,
    choice,
    obj,
    rng_for,
)
from healthgen.engagement.shared import business_time, loaded, pick_in_groups
from healthgen.lifecycle import Lifecycle

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
    first = pick_in_groups(rng, con_.account[wanted], np.flatnonzero(wanted), accts, n_accounts)
    anyone = pick_in_groups(rng, con_.account, np.arange(con_.n), accts, n_accounts)
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
    when = business_time(rng, day + W0, acc.tz_hours[acct])
    when = np.minimum(when, (E + 1) * DAY_SECONDS - 60)
    who_id = np.where(who >= 0, con_.id[np.maximum(who, 0)] if con_.n else None, None)
    return {
        "id": ids.salesforce("00U", k),
        "acct": acct,
        "who_id": who_id,
        "subject": subject,
        "type": typ,
        "activity_s": when,
        "loaded_s": loaded(rng, cfg, when, 3600, 48 * 3600),
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
        "loaded_s": loaded(rng, cfg, last, 600, 3 * DAY_SECONDS),
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
        "loaded_s": loaded(rng, cfg, np.maximum(last, created_s), 600, 2 * DAY_SECONDS),
    }
