"""CRM accounts (with enterprise hierarchies) and their contacts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from healthgen.catalog import COUNTRIES
from healthgen.common import (
    BU_NAMES,
    COMPANY_A,
    COMPANY_B,
    DAY_SECONDS,
    DEPT_NAMES,
    FIRST_NAMES,
    INDUSTRIES,
    INDUSTRY_VARIANTS,
    LAST_NAMES,
    LEGAL_FORM,
    SUBSIDIARY_SUFFIX,
    GenConfig,
    IdFactory,
    choice,
    obj,
    rng_for,
)

MAX_DEPTH = 6
TIERS = ("enterprise", "mid_market", "smb")
TLD = {"US": ".com", "GB": ".co.uk", "DE": ".de", "FR": ".fr", "NL": ".nl", "JP": ".co.jp",
       "AU": ".com.au", "CA": ".ca", "BR": ".com.br", "IN": ".in", "SG": ".sg", "ES": ".es",
       "SE": ".se"}  # fmt: skip


@dataclass
class Accounts:
    """Every CRM account of the book (bad rows excluded), one entry per index."""

    n: int
    id: np.ndarray  # object
    name: np.ndarray
    domain: np.ndarray
    parent: np.ndarray  # int index of the parent account, -1 at the top
    tree: np.ndarray  # tree number, -1 for flat accounts
    depth: np.ndarray  # 1 = top level
    kind: np.ndarray  # 'payer', 'prospect', 'partner'
    tier: np.ndarray  # true tier (never null)
    tier_reported: np.ndarray  # as in the CRM (some null)
    support_package: np.ndarray
    country: np.ndarray  # true ISO code
    billing_country: np.ndarray  # as in the CRM
    currency: np.ndarray
    tz_hours: np.ndarray
    industry: np.ndarray
    owner: np.ndarray
    created_day: np.ndarray  # filled in by the lifecycle
    base_seats: np.ndarray  # initial core seats of payers
    interval: np.ndarray  # 'year' / 'month' for payers


def _tree_shapes(rng: np.random.Generator, total: int) -> list[np.ndarray]:
    """Parent arrays (local indexes, -1 root) of enterprise trees with `total` nodes."""
    shapes: list[np.ndarray] = []
    remaining = total
    k = 0
    while remaining > 0:
        if k == 0:
            size = min(remaining, int(rng.integers(7, 13)))
            style = "deep"
        elif k == 1 and remaining >= 24:
            size = min(remaining, int(rng.integers(22, 31)))
            style = "wide"
        elif remaining >= 60 and rng.random() < 0.04:
            size = int(rng.integers(21, 41))
            style = "wide"
        else:
            size = min(remaining, 2 + int(rng.geometric(1 / 7)))
            style = "normal"
        if 0 < remaining - size < 2:
            size = remaining
        parent = np.full(size, -1, dtype=np.int64)
        depth = np.ones(size, dtype=np.int64)
        start = 1
        if style == "deep":
            chain = min(size, MAX_DEPTH)
            for i in range(1, chain):
                parent[i] = i - 1
                depth[i] = i + 1
            start = chain
        for i in range(start, size):
            if style == "wide":
                p = 0 if i <= 21 or rng.random() < 0.85 else int(rng.integers(1, i))
                if depth[p] >= MAX_DEPTH:
                    p = 0
            else:
                cand = np.flatnonzero(depth[:i] < MAX_DEPTH)
                w = 0.55 ** depth[cand]
                p = int(cand[rng.choice(len(cand), p=w / w.sum())])
            parent[i] = p
            depth[i] = depth[p] + 1
        shapes.append(parent)
        remaining -= size
        k += 1
    return shapes


def _depths(parent: np.ndarray) -> np.ndarray:
    depth = np.ones(len(parent), dtype=np.int64)
    for i in range(len(parent)):
        if parent[i] >= 0:
            depth[i] = depth[parent[i]] + 1
    return depth


def build_accounts(cfg: GenConfig, ids: IdFactory) -> Accounts:
    rng = rng_for(cfg.seed, "accounts")
    hrng = rng_for(cfg.seed, "hierarchy")
    n = cfg.accounts
    n_tree = int(round(0.15 * n)) if n >= 20 else 0

    # --- hierarchy ---------------------------------------------------------------------
    parent = np.full(n, -1, dtype=np.int64)
    tree = np.full(n, -1, dtype=np.int64)
    offset = 0
    for t, shape in enumerate(_tree_shapes(hrng, n_tree)):
        idx = np.arange(offset, offset + len(shape))
        parent[idx] = np.where(shape >= 0, shape + offset, -1)
        tree[idx] = t
        offset += len(shape)
    depth = _depths(parent)
    in_tree = tree >= 0

    # --- country, currency -------------------------------------------------------------
    codes = [c[0] for c in COUNTRIES]
    shares = np.array([c[2] for c in COUNTRIES])
    country = choice(rng, codes, n, shares)
    for i in range(n):  # subsidiaries mostly share the group's country
        if parent[i] >= 0 and rng.random() < 0.6:
            country[i] = country[parent[i]]
    cinfo = {c[0]: c for c in COUNTRIES}
    currency = obj([cinfo[c][3] for c in country])
    tz_hours = np.array([cinfo[c][4] for c in country])
    r = rng.random(n)
    billing_country = country.copy()
    billing_country[(r >= 0.88) & (r < 0.95)] = obj([cinfo[c][1] for c in country[(r >= 0.88) & (r < 0.95)]])
    billing_country[r >= 0.95] = None

    # --- tier, kind, size ---------------------------------------------------------------
    tier = choice(rng, TIERS, n, [0.06, 0.34, 0.60])
    tier[in_tree] = "enterprise"
    u = rng.random(n)
    kind = np.where(u < 0.90, "payer", np.where(u < 0.975, "prospect", "partner")).astype(object)
    tu = rng.random(n)
    kind[in_tree] = np.where(tu[in_tree] < 0.68, "payer", "prospect")
    for t in np.unique(tree[in_tree]):  # every tree has at least one paying node
        members = np.flatnonzero(tree == t)
        if not (kind[members] == "payer").any():
            kind[members[-1]] = "payer"
    tier_reported = tier.copy()
    tier_reported[rng.random(n) < 0.04] = None

    seats = np.zeros(n, dtype=np.int64)
    med = np.where(tier == "enterprise", 90.0, np.where(tier == "mid_market", 28.0, 6.0))
    med = np.where(in_tree, np.array([0, 70.0, 45.0, 25.0, 14.0, 10.0, 8.0])[depth], med)
    raw = med * np.exp(rng.normal(0, 0.55, n))
    lo = np.where(tier == "enterprise", 8, np.where(tier == "mid_market", 8, 2))
    hi = np.where(tier == "enterprise", 600, np.where(tier == "mid_market", 160, 30))
    seats[:] = np.clip(np.round(raw), lo, hi)

    annual_p = np.where(tier == "enterprise", 0.98, np.where(tier == "mid_market", 0.85, 0.3))
    interval = np.where(rng.random(n) < annual_p, "year", "month").astype(object)

    pk = rng.random(n)
    support = np.where(
        tier == "enterprise",
        np.where(pk < 0.6, "premium", np.where(pk < 0.95, "standard", "basic")),
        np.where(
            tier == "mid_market",
            np.where(pk < 0.15, "premium", np.where(pk < 0.75, "standard", "basic")),
            np.where(pk < 0.02, "premium", np.where(pk < 0.30, "standard", "basic")),
        ),
    ).astype(object)
    support[rng.random(n) < 0.05] = None

    # --- names and domains --------------------------------------------------------------
    name = np.empty(n, dtype=object)
    domain = np.empty(n, dtype=object)
    base = np.empty(n, dtype=object)
    used: set[str] = set()
    for i in range(n):
        p = parent[i]
        if p < 0:
            for attempt in range(50):
                a = COMPANY_A[rng.integers(len(COMPANY_A))]
                b = COMPANY_B[rng.integers(len(COMPANY_B))]
                stem = f"{a} {b}" if attempt < 20 else f"{a} {b} {attempt}"
                if stem not in used:
                    break
            used.add(stem)
            base[i] = stem
            form = LEGAL_FORM[country[i]]
            name[i] = f"{stem} Corporation" if in_tree[i] else f"{stem} {form}"
            domain[i] = stem.lower().replace(" ", "") + TLD[country[i]]
        else:
            level = depth[i]
            if level == 2:
                part = SUBSIDIARY_SUFFIX[rng.integers(len(SUBSIDIARY_SUFFIX))]
                label = f"{base[p]} {part}"
            elif level == 3:
                label = f"{base[p]} - {BU_NAMES[rng.integers(len(BU_NAMES))]}"
            else:
                label = f"{base[p]} / {DEPT_NAMES[rng.integers(len(DEPT_NAMES))]}"
            stem = label
            k = 2
            while stem in used:
                stem = f"{label} {k}"
                k += 1
            used.add(stem)
            base[i] = stem
            name[i] = stem if level > 2 else f"{stem} {LEGAL_FORM[country[i]]}"
            domain[i] = (
                domain[p]
                if rng.random() < 0.7
                else (base[i].split(" ")[0].lower() + "-" + country[i].lower() + TLD[country[i]])
            )

    # --- industry, owner ----------------------------------------------------------------
    industry = choice(rng, INDUSTRIES, n)
    for i in range(n):
        if parent[i] >= 0:
            industry[i] = industry[parent[i]]
    r = rng.random(n)
    for i in np.flatnonzero(r < 0.12):
        variants = INDUSTRY_VARIANTS[industry[i]]
        industry[i] = variants[rng.integers(len(variants))]
    industry[r > 0.97] = None
    owners = ids.salesforce("005", 15)
    owner = owners[rng.integers(0, 15, n)]
    for i in range(n):  # one CSM per enterprise group
        if parent[i] >= 0:
            owner[i] = owner[parent[i]]

    acct_id = ids.salesforce("001", n)
    return Accounts(
        n=n, id=acct_id, name=name, domain=domain, parent=parent, tree=tree, depth=depth,
        kind=kind, tier=tier, tier_reported=tier_reported, support_package=support,
        country=country, billing_country=billing_country, currency=currency, tz_hours=tz_hours,
        industry=industry, owner=owner, created_day=np.zeros(n, dtype=np.int64),
        base_seats=seats, interval=interval,
    )  # fmt: skip


@dataclass
class Contacts:
    n: int
    id: np.ndarray
    account: np.ndarray  # account index
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    title: np.ndarray
    persona: np.ndarray
    created_s: np.ndarray


TITLES = {
    "executive_sponsor": ("Chief Operating Officer", "CFO", "VP Operations", "Chief Data Officer",
                          "SVP Strategy"),
    "decision_maker": ("Director of Analytics", "Head of BI", "IT Director", "VP Finance"),
    "champion": ("Analytics Manager", "BI Lead", "Data Team Lead", "Operations Manager"),
    "influencer": ("Senior Analyst", "Product Manager", "Solutions Architect"),
    "end_user": ("Analyst", "Operations Specialist", "Sales Ops Analyst", "Data Analyst"),
    None: ("Manager", "Consultant", None),
}  # fmt: skip


def _cased_email(rng: np.random.Generator, first: str, last: str, domain: str) -> str:
    style = rng.random()
    dom = domain
    if rng.random() < 0.3:
        dom = domain[0].upper() + domain[1:]
    if style < 0.45:
        local = f"{first}.{last}"
    elif style < 0.7:
        local = f"{first.lower()}.{last.lower()}"
    elif style < 0.85:
        local = f"{first[0]}{last}"
    elif style < 0.95:
        local = f"{first.lower()}_{last.lower()}"
    else:
        local = f"{first}.{last}".upper()
    return f"{local}@{dom}"


def build_contacts(cfg: GenConfig, acc: Accounts, ids: IdFactory, first_start: np.ndarray
                   ) -> Contacts:  # fmt: skip
    rng = rng_for(cfg.seed, "contacts")
    account: list[int] = []
    persona: list[str | None] = []
    for i in range(acc.n):
        if acc.kind[i] == "payer":
            lo, hi = {"enterprise": (7, 16), "mid_market": (5, 11), "smb": (3, 7)}[acc.tier[i]]
            k = int(rng.integers(lo, hi))
            roles: list[str | None] = ["executive_sponsor", "decision_maker", "champion"]
            if acc.tier[i] == "smb" and rng.random() < 0.1:
                roles[0] = None
            if rng.random() < 0.12:
                roles.append("champion")
            while len(roles) < k:
                x = rng.random()
                roles.append("influencer" if x < 0.35 else "end_user" if x < 0.85 else None)
        elif acc.kind[i] == "prospect":
            k = int(rng.integers(1, 4))
            roles = [("decision_maker", "influencer", None)[int(rng.integers(3))] for _ in range(k)]
        else:
            roles = [None] * int(rng.integers(1, 3))
        account.extend([i] * len(roles))
        persona.extend(roles)
    n = len(account)
    acc_idx = np.array(account, dtype=np.int64)
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)]
    emails = np.empty(n, dtype=object)
    seen: set[str] = set()
    for j in range(n):
        e = _cased_email(rng, first[j], last[j], acc.domain[acc_idx[j]])
        k = 2
        while e.lower() in seen:
            local, dom = e.split("@")
            e = f"{local}{k}@{dom}"
            k += 1
        seen.add(e.lower())
        emails[j] = e
    emails[rng.random(n) < 0.02] = None
    titles = np.empty(n, dtype=object)
    for j in range(n):
        opts = TITLES[persona[j]]
        titles[j] = opts[int(rng.integers(len(opts)))]
    created_day = acc.created_day[acc_idx] + rng.integers(0, 45, n)
    fs = first_start[acc_idx]
    # people who joined after the deal
    core = np.isin(np.array(persona, dtype=object), ["executive_sponsor", "decision_maker", "champion"])
    late = (fs > 0) & ~core & (rng.random(n) < 0.3)
    created_day = np.where(late, np.maximum(fs, created_day) + rng.integers(30, 400, n), created_day)
    created_day = np.minimum(created_day, cfg.end_day)
    created_s = created_day * DAY_SECONDS + rng.integers(8 * 3600, 19 * 3600, n)
    return Contacts(
        n=n, id=ids.salesforce("003", n), account=acc_idx, first_name=obj(first),
        last_name=obj(last), email=emails, title=titles, persona=obj(persona),
        created_s=created_s,
    )  # fmt: skip
