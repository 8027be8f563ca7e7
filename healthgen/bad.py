"""Planted bad rows: every kind of dirt the raw-source contract warns about, injected as
extra rows (or on a small sample) so that the clean book keeps its meaning. Each planted
row is recorded as (table_name, record_id, kind) in `_demo.planted_bad_rows`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from healthgen.common import DAY_SECONDS, GenConfig

DUPLICATES = ("duplicate_older", "duplicate_newer")

# kinds planted per table, besides the two duplicate kinds and null_key that every table gets
TABLE_KINDS: dict[str, tuple[str, ...]] = {
    "crm.account": ("soft_deleted",),
    "crm.contact": ("soft_deleted", "orphan"),
    "crm.opportunity": ("soft_deleted", "orphan"),
    "crm.event": ("soft_deleted", "orphan", "null_timestamp"),
    "crm.success_goal": ("soft_deleted", "orphan"),
    "billing.customer": ("soft_deleted", "malformed_metadata", "missing_metadata"),
    "billing.subscription": ("orphan", "null_timestamp"),
    "billing.subscription_item": ("orphan", "nonpositive_amount"),
    "billing.invoice": ("orphan", "nonpositive_amount"),
    "product.users": ("orphan",),
    "product.tracks": ("future_timestamp", "null_timestamp", "unknown_user"),
    "support.organization": (),
    "support.ticket": ("soft_deleted", "orphan", "future_timestamp"),
    "survey.nps_response": ("nps_out_of_range",),
    "crm.health_override__c": (
        "soft_deleted",
        "orphan",
        "unknown_band",
        "score_out_of_range",
        "end_before_start",
    ),
}

FOREIGN_KEY = {
    "crm.contact": "account_id",
    "crm.opportunity": "account_id",
    "crm.event": "account_id",
    "crm.success_goal": "account_id",
    "billing.subscription": "customer_id",
    "billing.subscription_item": "subscription_id",
    "billing.invoice": "customer_id",
    "product.users": "account_id",
    "support.ticket": "organization_id",
    "crm.health_override__c": "account__c",
}
DELETED_FLAG = {"billing.customer": "deleted"}
NULL_TIMESTAMP = {"crm.event": "activity_date", "billing.subscription": "start_date"}

# A harmless attribute a re-delivered copy may carry with another value.
_MUTATIONS: dict[str, tuple[str, Callable[[object], object]]] = {
    "crm.account": ("industry", lambda v: v.upper() if isinstance(v, str) else "Software"),
    "crm.contact": ("title", lambda v: f"Senior {v}" if isinstance(v, str) else "Manager"),
    "crm.opportunity": ("name", lambda v: f"{v} (updated)"),
    "crm.event": ("subject", lambda v: f"{v} (rescheduled)"),
    "crm.success_goal": ("name", lambda v: f"{v} - revised"),
    "billing.customer": ("email", lambda v: f"finance.{v}" if isinstance(v, str) else v),
    "product.users": ("role", lambda v: "admin" if v == "member" else "member"),
    "support.organization": ("name", lambda v: f"{v} (old name)"),
    "survey.nps_response": ("comment", lambda v: None if v else "Thanks."),
    "crm.health_override__c": ("reason__c", lambda v: f"{v} (edited)" if isinstance(v, str) else "Edited."),
}

ALL_KINDS = (
    "duplicate_older", "duplicate_newer", "soft_deleted", "null_key", "orphan",
    "hierarchy_cycle", "self_parent", "missing_parent", "nps_out_of_range",
    "nonpositive_amount", "future_timestamp", "null_timestamp", "malformed_metadata",
    "missing_metadata", "unknown_user", "unknown_band", "score_out_of_range",
    "end_before_start",
)  # fmt: skip


def kinds_of(table: str) -> tuple[str, ...]:
    return (*DUPLICATES, "null_key", *TABLE_KINDS[table])


def kind_counts(table: str, n_rows: int, rate: float) -> dict[str, int]:
    """How many rows of each kind to plant in a table of `n_rows` clean rows."""
    if rate <= 0 or n_rows == 0:
        return {}
    kinds = kinds_of(table)
    total = rate * n_rows
    per = total / len(kinds)
    return {k: max(1, int(round(per))) for k in kinds}


def _seconds(values: np.ndarray) -> pd.Series:
    return pd.to_timedelta(np.asarray(values, dtype=np.int64), unit="s")


class Injector:
    """Adds planted bad rows to the clean frame of one table."""

    def __init__(self, cfg: GenConfig, rng: np.random.Generator,
                 new_ids: Callable[[str, int], np.ndarray],
                 fake_parent_ids: Callable[[str, int], np.ndarray]) -> None:  # fmt: skip
        self.cfg = cfg
        self.rng = rng
        self.new_ids = new_ids
        self.fake_parent_ids = fake_parent_ids
        self.planted: list[tuple[str, str | None, str]] = []

    def record(self, table: str, ids: pd.Series | np.ndarray | list, kind: str) -> None:
        for v in list(ids):
            self.planted.append((table, None if v is None or pd.isna(v) else str(v), kind))

    def inject(self, table: str, df: pd.DataFrame) -> pd.DataFrame:
        counts = kind_counts(table, len(df), self.cfg.bad_rows_rate)
        if not counts:
            return df
        extras = []
        for kind, k in counts.items():
            src = df.iloc[self.rng.integers(0, len(df), k)].copy().reset_index(drop=True)
            x = self._make(table, kind, src)
            extras.append(x)
            self.record(table, x["id"], kind)
        out = pd.concat([df, *extras], ignore_index=True)
        return out

    def _make(self, table: str, kind: str, x: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        k = len(x)
        cap = pd.Timestamp(self.cfg.load_cap_s, unit="s")
        if kind in DUPLICATES:
            if kind == "duplicate_older":
                x["_loaded_at"] = x["_loaded_at"] - _seconds(rng.integers(3600, 20 * DAY_SECONDS,
                                                                          k))  # fmt: skip
            else:
                room = ((cap - x["_loaded_at"]).dt.total_seconds()).to_numpy()
                gap = np.minimum(rng.integers(60, 3 * DAY_SECONDS, k), np.maximum(room, 60))
                x["_loaded_at"] = x["_loaded_at"] + _seconds(gap.astype(np.int64))
            if table in _MUTATIONS:
                col, fn = _MUTATIONS[table]
                change = rng.random(k) < 0.5
                x.loc[change, col] = [fn(v) for v in x.loc[change, col]]
            return x
        if table == "crm.health_override__c":
            # Copies of a withdrawn override must not hide their own problem behind is_deleted.
            x["is_deleted"] = kind == "soft_deleted"
        if kind == "null_key":
            x["id"] = None
            return x
        x["id"] = self.new_ids(table, k)
        if kind == "soft_deleted":
            x[DELETED_FLAG.get(table, "is_deleted")] = True
        elif kind == "orphan":
            fk = FOREIGN_KEY[table]
            x[fk] = self.fake_parent_ids(table, k)
        elif kind == "null_timestamp":
            x[NULL_TIMESTAMP[table]] = pd.NaT
        elif kind == "future_timestamp":  # support.ticket
            x["created_at"] = x["_loaded_at"] + _seconds(rng.integers(730, 2200, k) * DAY_SECONDS)
            x["solved_at"] = pd.NaT
            x["status"] = "new"
            x["satisfaction_rating"] = "unoffered"
        elif kind == "nonpositive_amount":
            if table == "billing.subscription_item":
                bad_qty = rng.random(k) < 0.7
                x["quantity"] = np.where(bad_qty, rng.choice([0, -1, -5], k), x["quantity"])
                x["unit_amount"] = np.where(bad_qty, x["unit_amount"], -x["unit_amount"])
            else:
                neg = -np.abs(x["amount_due"].to_numpy()) - 100
                x["amount_due"] = neg
                x["amount_paid"] = neg
                x["amount_remaining"] = 0
                x["status"] = "paid"
        elif kind == "nps_out_of_range":
            x["score"] = rng.choice([11, -1, 99], k)
        elif kind == "unknown_band":
            bands = ("green", "at_risk", None, "excellent")
            x["health_band__c"] = [bands[int(i)] for i in rng.integers(0, len(bands), k)]
        elif kind == "score_out_of_range":
            x["health_score__c"] = rng.choice([140.0, -5.0, 100.5], k)
        elif kind == "end_before_start":
            shift = rng.integers(1, 30, k)
            starts = x["start_date__c"]
            x["end_date__c"] = [s - dt.timedelta(days=int(d)) for s, d in zip(starts, shift, strict=True)]
        elif kind == "malformed_metadata":
            x["metadata"] = [_malformed(rng, v) for v in x["metadata"]]
        elif kind == "missing_metadata":
            x["metadata"] = [(None, "{}", '{"source": "self_serve"}')[int(i)]
                             for i in rng.integers(0, 3, k)]  # fmt: skip
        return x


def _malformed(rng: np.random.Generator, metadata: str) -> str:
    try:
        acct = json.loads(metadata)["crm_account_id"]
    except (TypeError, ValueError, KeyError):
        acct = "001000000000000AAA"
    variants = (
        f'{{"crm_account_id": "{acct}"',  # truncated
        f"{{'crm_account_id': '{acct}'}}",  # python repr, not JSON
        f"crm_account_id={acct}",
        f'{{"crm_account_id": {acct}}}',  # unquoted string
    )
    return variants[int(rng.integers(len(variants)))]


def plant_hierarchy(cfg: GenConfig, rng: np.random.Generator, accounts: pd.DataFrame,
                    new_ids: Callable[[int], np.ndarray], flat_payers: np.ndarray,
                    injector: Injector) -> pd.DataFrame:  # fmt: skip
    """Broken hierarchies: a 3-cycle and a 2-cycle of parent links, a self-parent and a
    parent that does not exist; each with a new child account below it and one existing
    flat customer re-parented under it (their links stay as they are)."""
    if cfg.bad_rows_rate <= 0 or cfg.accounts < 50:
        return accounts
    groups = max(1, int(round(cfg.bad_rows_rate * cfg.accounts / 100)))
    template = accounts.iloc[0].copy()
    rows: list[dict] = []
    movers = list(rng.permutation(flat_payers))
    out = accounts.copy()

    def node(name: str, parent: str | None, ident: str) -> dict:
        r = template.to_dict()
        created = pd.Timestamp((cfg.start_day - int(rng.integers(100, 900))) * DAY_SECONDS,
                               unit="s")  # fmt: skip
        r.update(id=ident, name=name, parent_id=parent, type="Prospect", industry="Software",
                 customer_tier__c="enterprise", support_package__c=None, created_date=created,
                 is_deleted=False,
                 _loaded_at=pd.Timestamp(cfg.load_cap_s - int(rng.integers(3600, 30 * 86400)),
                                         unit="s"))  # fmt: skip
        return r

    def below(parent_id: str, label: str) -> None:
        child = new_ids(1)[0]
        rows.append(node(f"{label} - Subsidiary", parent_id, child))
        rows.append(node(f"{label} - Subsidiary / Department", child, new_ids(1)[0]))
        if movers:
            m = int(movers.pop())
            out.loc[m, "parent_id"] = parent_id

    for g in range(groups):
        a, b, c = new_ids(3)
        label = f"Loop Holdings {g + 1}"
        rows += [node(f"{label} A", c, a), node(f"{label} B", a, b), node(f"{label} C", b, c)]
        injector.record("crm.account", [a, b, c], "hierarchy_cycle")
        below(a, label)
        d, e = new_ids(2)
        label = f"Mirror Group {g + 1}"
        rows += [node(f"{label} East", e, d), node(f"{label} West", d, e)]
        injector.record("crm.account", [d, e], "hierarchy_cycle")
        below(d, label)
        s = new_ids(1)[0]
        label = f"Selfsame Industries {g + 1}"
        rows.append(node(label, s, s))
        injector.record("crm.account", [s], "self_parent")
        below(s, label)
        m = new_ids(1)[0]
        ghost = new_ids(1)[0]  # never written: the missing parent
        label = f"Orphanage Partners {g + 1}"
        rows.append(node(label, ghost, m))
        injector.record("crm.account", [m], "missing_parent")
        below(m, label)
    return pd.concat([out, pd.DataFrame(rows, columns=accounts.columns)], ignore_index=True)


def tracks_bad_sql(cfg: GenConfig, n_tracks: int, select_sql: Callable[[str], str],
                   id_sql: Callable[[str], str]) -> tuple[str, list[str]]:  # fmt: skip
    """SQL creating temp table _bad_tracks (contract columns + kind) from a hash sample of
    the events: re-delivered copies, null ids, far-future and null timestamps, events of
    users that do not exist."""
    kinds = list(kinds_of("product.tracks"))
    frac = min(1.0, max(cfg.bad_rows_rate, 60.0 / max(n_tracks, 1)))
    thresh = min(int(frac * 2**64), 2**64 - 1)
    seed = int(cfg.seed)
    where = f"hash({seed}, u, d, k, 77) < {thresh}::UBIGINT"
    kind_list = "[" + ", ".join(f"'{k}'" for k in kinds) + "]"
    new_id = id_sql("(u::UBIGINT << 24) | (d::UBIGINT << 9) | (k::UBIGINT + 256)")
    cap = cfg.load_cap_s
    sql = f"""
CREATE OR REPLACE TEMP TABLE _bad_tracks AS
WITH picked AS (
    SELECT *, {kind_list}[1 + ((row_number() OVER (ORDER BY hash({seed}, u, d, k, 78), id) - 1)
                               % {len(kinds)})::INTEGER] AS kind
    FROM ({select_sql(where)})
)
SELECT
    CASE
        WHEN kind = 'null_key' THEN NULL
        WHEN kind IN ('duplicate_older', 'duplicate_newer') THEN id
        ELSE {new_id}
    END AS id,
    CASE WHEN kind = 'unknown_user' THEN 'usr_x' || printf('%011x', hash({seed}, u, d, k, 79)
                                                           >> 20)
         ELSE user_id END AS user_id,
    event, feature, product_id,
    CASE
        WHEN kind = 'future_timestamp'
            THEN timestamp + to_days((730 + hash({seed}, u, d, k, 80) % 1500)::INTEGER)
        WHEN kind = 'null_timestamp' THEN NULL
        ELSE timestamp
    END AS timestamp,
    received_at,
    CASE
        WHEN kind = 'duplicate_older'
            THEN _loaded_at - to_seconds((3600 + (h3 >> 20) % (20 * 86400))::BIGINT)
        WHEN kind = 'duplicate_newer'
            THEN _loaded_at + to_seconds(least(60 + ((h3 >> 20) % (3 * 86400))::BIGINT,
                 greatest(60, {cap} - epoch(_loaded_at)::BIGINT)))
        ELSE _loaded_at
    END AS _loaded_at,
    kind
FROM picked
"""
    return sql, kinds
