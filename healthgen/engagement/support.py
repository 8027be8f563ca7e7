"""Support: organizations (support.organization) and tickets (support.ticket), with the
planted ticket spikes (more, and more severe, tickets with worse satisfaction)."""

from __future__ import annotations

import numpy as np

from healthgen.accounts import Accounts, Contacts
from healthgen.activity import Daily
from healthgen.common import (
    DAY_SECONDS,
    NULL_INT,
    GenConfig,
    IdFactory,
    choice,
    obj,
    rng_for,
    weekday,
)
from healthgen.engagement.shared import business_time, loaded, pick_in_groups, recent_loaded
from healthgen.lifecycle import Lifecycle
from healthgen.users import Users


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
        "loaded_s": recent_loaded(rng, cfg, org_created),
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
    created_s = business_time(rng, day, acc.tz_hours[acct])
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
    c_pick = pick_in_groups(rng, c_acct, c_idx, acct, acc.n)
    u_pick = pick_in_groups(rng, users.acct, np.arange(users.n), acct, acc.n)
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
        "loaded_s": loaded(
            rng, cfg, np.maximum(created_s, np.where(is_solved, solved_s, 0)), 300, 12 * 3600
        ),  # fmt: skip
    }
    order_t = np.argsort(created_s, kind="stable")
    for k in tickets:
        if k != "id":
            tickets[k] = tickets[k][order_t]
    return orgs, tickets
