"""Helpers shared by the engagement tables: working-hour timestamps, load times, and
picking a random member of a group."""

from __future__ import annotations

import numpy as np

from healthgen.common import DAY_SECONDS, GenConfig


def business_time(rng: np.random.Generator, days: np.ndarray, tz: np.ndarray) -> np.ndarray:
    """Seconds since epoch at a local working hour (09:00-17:30) of each day."""
    local = rng.integers(9 * 3600, 17 * 3600 + 1800, len(days))
    return days.astype(np.int64) * DAY_SECONDS + local - np.round(tz * 3600).astype(np.int64)


def loaded(rng: np.random.Generator, cfg: GenConfig, last_change_s: np.ndarray,
           lo: int = 300, hi: int = 6 * 3600) -> np.ndarray:  # fmt: skip
    """Load time: a few minutes to hours after the last change, never after the last sync
    (but never before the change either)."""
    t = last_change_s + rng.integers(lo, hi, len(last_change_s))
    return np.maximum(np.minimum(t, cfg.load_cap_s), last_change_s)


def recent_loaded(rng: np.random.Generator, cfg: GenConfig, created_s: np.ndarray
                  ) -> np.ndarray:  # fmt: skip
    """Load time of a frequently edited CRM record: its last edit was in the last months."""
    edit = cfg.load_cap_s - rng.integers(3600, 120 * DAY_SECONDS, len(created_s))
    return np.maximum(edit, created_s + 60)


def pick_in_groups(rng: np.random.Generator, group: np.ndarray, values: np.ndarray,
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
