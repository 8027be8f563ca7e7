"""product.tracks, generated inside DuckDB from a users x days grid with hash-based
randomness (identical output whatever the thread count)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from healthgen.accounts import Accounts
from healthgen.activity import Daily
from healthgen.adoption import Abandonment, module_fade
from healthgen.catalog import FEATURE_CATALOG, PRODUCTS, SESSION_EVENT
from healthgen.common import DAY_SECONDS, GenConfig, rng_for, weekday
from healthgen.lifecycle import N_MOD
from healthgen.users import Users

MODULE_WEIGHTS = np.array([0.5, 0.2, 0.2, 0.1])

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
