"""CSM health overrides (the optional CRM custom object crm.health_override__c).

A few per book (one set per 100 accounts), each a small story around the last day of data
E: an override about to expire (E + 4), an open-ended one (the warehouse caps it), one with
a score, one that has expired, one the CSM deleted, two that overlap (the later start
wins), two that start the same day (the later load wins) and one ending soon. Ids come
from their own random stream, so that planting bad rows in other tables (which draws ids
from the shared factory) never changes them. Invalid and re-delivered overrides (unknown
band, score out of range, end before start, unknown account, null key, duplicates) are
planted by healthgen.bad like every other kind of dirt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from healthgen.accounts import Accounts
from healthgen.common import ALNUM, DAY_SECONDS, SF_SUFFIX, GenConfig, day_to_date, rand_strings, rng_for
from healthgen.lifecycle import Lifecycle

COLUMNS = ["id", "account__c", "health_band__c", "health_score__c", "reason__c", "created_by_id",
           "start_date__c", "end_date__c", "is_deleted", "_loaded_at"]  # fmt: skip

# (story, band, score, start offset from E, end offset from E or None, is_deleted, reason)
STORIES: tuple[tuple[str, str, float | None, int, int | None, bool, str], ...] = (
    (
        "expiring",
        "good",
        78.0,
        -20,
        4,
        False,
        "Champion confirmed the renewal budget on the QBR; the usage dip is the year-end change freeze.",
    ),
    (
        "open_ended",
        "poor",
        None,
        -25,
        None,
        False,
        "Executive sponsor left the company; no new sponsor identified yet.",
    ),
    (
        "scored",
        "average",
        55.0,
        -10,
        45,
        False,
        "Migration to the new data platform pauses usage for six weeks; plan agreed with the customer.",
    ),
    ("expired", "poor", 30.0, -50, -35, False, "Procurement froze all new spend during the merger review."),
    ("deleted", "good", 80.0, -15, 30, True, "Entered on the wrong account; withdrawn."),
    (
        "overlap_first",
        "poor",
        35.0,
        -30,
        20,
        False,
        "Escalation on the data-export outage; legal reviewing the contract terms.",
    ),
    (
        "overlap_later",
        "good",
        None,
        -12,
        10,
        False,
        "Outage resolved and credited; the customer confirmed they are staying.",
    ),
    ("tie_first", "average", None, -8, 15, False, "Budget review pending at the customer."),
    (
        "tie_later",
        "poor",
        25.0,
        -8,
        15,
        False,
        "Budget review concluded: the customer plans to cut two departments.",
    ),
    (
        "edited",
        "average",
        60.0,
        -18,
        2,
        False,
        "New administrator is still onboarding; adoption expected to recover.",
    ),
)
# Stories that share an account with the story before them.
SAME_ACCOUNT_AS_PREVIOUS = {"overlap_later", "tie_later"}


def _override_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Salesforce-like 18-character ids of the custom object (prefix a0O)."""
    body = rand_strings(rng, n, 12, ALNUM)
    suffix = rand_strings(rng, n, 3, SF_SUFFIX)
    return np.array([f"a0O{b}{s}" for b, s in zip(body, suffix, strict=True)], dtype=object)


def build_overrides(cfg: GenConfig, acc: Accounts, lc: Lifecycle) -> pd.DataFrame:
    """The clean rows of crm.health_override__c (contract columns, raw types)."""
    rng = rng_for(cfg.seed, "overrides")
    E = cfg.end_day
    # Customers all through the last 90 days: their overrides fall on scored days.
    candidates = np.flatnonzero(
        (acc.kind == "payer") & (lc.first_start >= 0) & (lc.first_start <= E - 90) & (lc.last_day >= E)
    )
    sets = max(1, cfg.accounts // 100)
    rows: list[dict[str, object]] = []
    if len(candidates) == 0:
        return pd.DataFrame(columns=COLUMNS)
    # Prefer accounts of enterprise trees, so that the roll-ups show the overrides.
    in_tree = candidates[acc.tree[candidates] >= 0]
    pool = np.concatenate([rng.permutation(in_tree), rng.permutation(np.setdiff1d(candidates, in_tree))])
    picked = 0
    for _ in range(sets):
        account = -1
        for story, band, score, start, end, deleted, reason in STORIES:
            if story not in SAME_ACCOUNT_AS_PREVIOUS or account < 0:
                account = int(pool[picked % len(pool)])
                picked += 1
            start_day = E + start
            written = start_day * DAY_SECONDS - int(rng.integers(1, 3 * DAY_SECONDS))
            if story == "tie_later":
                # Written days after its twin (more than a re-delivery can shift a load time).
                written = int(rows[-1]["_loaded_at"]) + int(rng.integers(4 * DAY_SECONDS, 6 * DAY_SECONDS))
            rows.append({
                "story": story,
                "account__c": acc.id[account],
                "health_band__c": band,
                "health_score__c": score,
                "reason__c": reason,
                "created_by_id": acc.owner[account],
                "start_date__c": start_day,
                "end_date__c": None if end is None else E + end,
                "is_deleted": deleted,
                "_loaded_at": min(written, cfg.load_cap_s),
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["id"] = _override_ids(rng, len(frame))
    frame["start_date__c"] = [day_to_date(int(day)) for day in frame["start_date__c"]]
    frame["end_date__c"] = [None if pd.isna(day) else day_to_date(int(day)) for day in frame["end_date__c"]]
    frame["_loaded_at"] = pd.to_datetime(frame["_loaded_at"].astype(np.int64), unit="s")
    return frame[COLUMNS].sort_values(["_loaded_at", "id"], kind="stable").reset_index(drop=True)
