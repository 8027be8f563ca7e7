"""Module abandonment: a few customers stop using one add-on module they still pay for,
while the rest of their usage stays as it was - the case product-level health exists for
(an account that loves module A and abandoned module B shows one good number).

Planned from its own random stream (no other stream moves); applied to the module weights
of product events (healthgen.tracks), so the users stay as active as before and only
the share of their events on the abandoned module fades, to a trickle, over a few weeks.
The truth is written to `_demo.product_truth`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthgen.accounts import Accounts
from healthgen.catalog import PRODUCTS
from healthgen.common import GenConfig, rng_for, to_date

SHARE_OF_ACCOUNTS = 0.06
FADE_DAYS = (20, 40)  # the module's share of events fades over this many days
RESIDUAL = 0.005  # then stays at this fraction of its normal share (a trickle)
FADE_STARTS = (110, 35)  # between 110 and 35 days before the last day of data


@dataclass(frozen=True)
class Abandonment:
    account: int
    module: int  # index into PRODUCTS (never 0, the core module)
    start: int  # day index into the history window
    fade_days: int


def plan_abandonments(
    cfg: GenConfig, acc: Accounts, active: np.ndarray, mods: np.ndarray
) -> list[Abandonment]:
    """Accounts licensing an add-on module without interruption over the last 120 days."""
    rng = rng_for(cfg.seed, "adoption")
    span = min(cfg.days, 120)
    recent = slice(cfg.days - span, cfg.days)
    plans = []
    for account in np.flatnonzero((acc.kind == "payer") & active[:, recent].all(axis=1)):
        draw = rng.random()
        held = [m for m in range(1, len(PRODUCTS)) if ((mods[account, recent] >> m) & 1).all()]
        if draw >= SHARE_OF_ACCOUNTS or not held:
            continue
        start = cfg.days - int(rng.integers(min(FADE_STARTS[1], span), min(FADE_STARTS[0], span) + 1))
        plans.append(
            Abandonment(int(account), int(rng.choice(held)), max(start, 0), int(rng.integers(*FADE_DAYS)))
        )
    return plans


def module_fade(plans: list[Abandonment], a_idx: np.ndarray, d_idx: np.ndarray, weights: np.ndarray) -> None:
    """Scale, in place, the module weights of the account-day rows (a_idx sorted) of each plan."""
    for plan in plans:
        lo, hi = np.searchsorted(a_idx, [plan.account, plan.account + 1])
        days = d_idx[lo:hi]
        progress = np.clip((days - plan.start) / plan.fade_days, 0.0, 1.0)
        weights[lo:hi, plan.module] *= 1.0 - (1.0 - RESIDUAL) * progress


def truth_frame(cfg: GenConfig, acc: Accounts, plans: list[Abandonment]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [acc.id[p.account] for p in plans],
            "product_id": [PRODUCTS[p.module] for p in plans],
            "signal": ["module_abandonment"] * len(plans),
            "signal_start_date": to_date(np.array([cfg.start_day + p.start for p in plans], dtype=np.int64)),
            "fade_days": [p.fade_days for p in plans],
        }
    )
