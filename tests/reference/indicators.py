"""Every health indicator, per account and day, computed in Python from the raw tables.

The definitions are those of docs/health_definitions.md and the `definition` column of
seeds/definitions/health_indicators.csv; windows are read from its `window_days`. A day d
describes the data up to the end of d; "the last N days" are the N days ending on d
(d-N+1 .. d). A missing value (no data) is NaN.

Scored account-days: an account is scored on d when it has a subscription item active on
d (the staging docs: an item is active from its subscription's start, or its own creation
when later, until the subscription ended; subscriptions that never became billable,
`incomplete`, carry no seats).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from reference.staging import Staged, read_seed

INDICATORS = (
    "license_utilization",
    "active_user_trend",
    "feature_breadth",
    "exec_engagement",
    "stakeholder_coverage",
    "nps",
    "support_burden",
    "payment_health",
    "goal_attainment",
    "onboarding_progress",
)
EXECUTIVE_PERSONAS = ("executive_sponsor", "decision_maker")
STAKEHOLDER_PERSONAS = ("executive_sponsor", "decision_maker", "champion")
EXECUTIVE_MEETING_TYPES = ("EBR", "QBR", "Meeting")
OVERDUE_LOOKBACK_DAYS = 180  # payment_health: older debts are written off or in collection
ONBOARDING_DAYS = 90  # the contract's onboarding stage
ONBOARDING_MIN_ELAPSED = 0.25
ONBOARDING_CAP = 1.5
CREDIT_VALIDATED, CREDIT_ACHIEVED = 1.0, 0.6


def window_days() -> dict[str, int]:
    return {row["indicator_id"]: int(row["window_days"]) for row in read_seed("definitions", "health_indicators")
            if row["window_days"]}  # fmt: skip


def _day(values: pd.Series) -> pd.Series:
    """Timestamps (or dates) to whole days since 1970-01-01; NaT stays NaN."""
    return pd.to_datetime(values).dt.floor("D").sub(pd.Timestamp(0)).dt.days


def _in_window(event_days: np.ndarray, days: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """(members x days) -> whether a member has an event in the `length` days ending
    `offset` days before each day. `event_days` is one sorted array per member."""
    hi = days - offset
    lo = hi - length + 1
    return np.array([np.searchsorted(e, hi, "right") > np.searchsorted(e, lo, "left") for e in event_days])


def account_days(staged: Staged, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    """One row per account and day with an active item: seats, licensed products and the
    first subscription start."""
    subscriptions = staged.subscriptions[
        ~staged.subscriptions["status"].isin(["incomplete", "incomplete_expired"])
    ]
    items = staged.items.merge(
        subscriptions[["id", "customer_id", "start_date", "ended_at"]].rename(
            columns={"id": "subscription_id"}
        ),
        on="subscription_id",
    ).merge(staged.customers[["id", "account_id"]].rename(columns={"id": "customer_id"}), on="customer_id")
    start = _day(items["start_date"])
    items["active_from"] = np.maximum(start, _day(items["created"]).fillna(start))
    items["active_to"] = _day(items["ended_at"]).fillna(np.inf)
    first_start = start.groupby(items["account_id"]).min().rename("first_subscription_day")
    day_frame = pd.DataFrame({"day": np.arange(_ordinal(first_day), _ordinal(last_day) + 1)})
    active = items.merge(day_frame, how="cross")
    active = active[(active["active_from"] <= active["day"]) & (active["day"] < active["active_to"])]
    grouped = active.groupby(["account_id", "day"])
    out = pd.DataFrame(
        {
            "licensed_seats": grouped["quantity"].sum(),
            "products": grouped["product_id"].agg(lambda p: frozenset(p)),
        }
    ).reset_index()
    return out.merge(first_start, left_on="account_id", right_index=True)


def _ordinal(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def usage(staged: Staged, days: pd.DataFrame, windows: dict[str, int]) -> pd.DataFrame:
    """Active users (all; licensed seat holders) in the last 30 days and the 30 before,
    and key features used in the last 30 days, per scored account-day."""
    users = staged.users.set_index("id")
    events = staged.tracks[["user_id", "timestamp", "feature", "product_id"]].copy()
    events["account_id"] = events["user_id"].map(users["account_id"])
    events["day"] = _day(events["timestamp"])
    # A user holds a seat at the end of d when licensed and not deactivated by then.
    seat_end = _day(users["deactivated_at"]).fillna(np.inf)
    licensed = users["is_licensed"].fillna(False).astype(bool)

    features = read_seed("definitions", "product_features")
    owner = {row["feature"]: row["product_id"] for row in features}
    key_features = {
        (row["product_id"], row["feature"]) for row in features if row["is_key_feature"] == "true"
    }
    key_count: dict[str, int] = {}
    for product, _ in key_features:
        key_count[product] = key_count.get(product, 0) + 1
    feature_events = events[events["feature"].notna()].copy()
    feature_events["product_id"] = feature_events["product_id"].fillna(feature_events["feature"].map(owner))
    feature_events = feature_events[
        [
            (p, f) in key_features
            for p, f in zip(feature_events["product_id"], feature_events["feature"], strict=True)
        ]
    ]

    n30 = windows["license_utilization"]
    rows = []
    for account_id, account_days_ in days.groupby("account_id"):
        day_values = account_days_["day"].to_numpy()
        activity = events[events["account_id"] == account_id].groupby("user_id")["day"]
        members = list(activity.groups)
        event_days = [np.unique(activity.get_group(u).to_numpy()) for u in members]
        if members:
            last_30 = _in_window(event_days, day_values, n30)
            prior_30 = _in_window(event_days, day_values, n30, offset=n30)
            holds_seat = np.array(
                [licensed[u] & (day_values < seat_end[u]) for u in members]
            )  # fmt: skip
            active = last_30.sum(axis=0)
            licensed_active = (last_30 & holds_seat).sum(axis=0)
            prior = prior_30.sum(axis=0)
        else:
            active = licensed_active = prior = np.zeros(len(day_values), dtype=int)
        used = _key_features_used(
            feature_events[feature_events["account_id"] == account_id], account_days_, n30
        )
        for i, (_, row) in enumerate(account_days_.iterrows()):
            rows.append(
                {
                    "account_id": account_id,
                    "day": row["day"],
                    "active_users_30d": int(active[i]),
                    "licensed_active_users_30d": int(licensed_active[i]),
                    "active_users_prior_30d": int(prior[i]),
                    "key_features_used_30d": used[i],
                    # No licensed module with key features: no data.
                    "key_features_licensed": sum(key_count.get(p, 0) for p in row["products"]) or np.nan,
                }
            )
    return days.merge(pd.DataFrame(rows), on=["account_id", "day"])


def _key_features_used(feature_events: pd.DataFrame, account_days_: pd.DataFrame, n30: int) -> list[int]:
    """Per account-day: key features of the modules licensed that day used in the last 30 days."""
    day_values = account_days_["day"].to_numpy()
    by_feature = feature_events.groupby(["product_id", "feature"])["day"]
    used_by_product: dict[str, np.ndarray] = {}
    for (product, _), group in by_feature:
        hit = _in_window([np.unique(group.to_numpy())], day_values, n30)[0].astype(int)
        used_by_product[product] = used_by_product.get(product, 0) + hit
    return [
        int(sum(used_by_product[p][i] for p in products if p in used_by_product))
        for i, products in enumerate(account_days_["products"])
    ]


def _per_account(days: pd.DataFrame, records: pd.DataFrame, compute: Callable[..., np.ndarray]) -> pd.Series:
    """compute(the account's records, its account-days, d) for each account, where d is
    the days as a (days x 1) column: with each record column as a (1 x records) row
    (`_row`), every comparison is a (days x records) matrix."""
    groups = dict(tuple(records.groupby("account_id")))
    empty = records.iloc[0:0]
    parts = []
    for account_id, account_days_ in days.groupby("account_id"):
        d = account_days_["day"].to_numpy(dtype=float)[:, None]
        values = compute(groups.get(account_id, empty), account_days_, d)
        parts.append(pd.Series(values, index=account_days_.index, dtype=float))
    return pd.concat(parts).reindex(days.index)


def _row(values: pd.Series) -> np.ndarray:
    return values.to_numpy()[None, :]


def relationship(staged: Staged, days: pd.DataFrame, windows: dict[str, int]) -> pd.DataFrame:
    """exec_engagement, stakeholder_coverage and the Training meetings of onboarding."""
    persona = staged.contacts.set_index("id")["persona"]
    meetings = staged.meetings[["account_id", "who_id", "type", "activity_date"]].copy()
    meetings["persona"] = meetings["who_id"].map(persona)
    meetings["day"] = _day(meetings["activity_date"]).astype(float)
    n90 = windows["stakeholder_coverage"]

    def exec_engagement(mine: pd.DataFrame, _: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        executive = mine[
            mine["type"].isin(EXECUTIVE_MEETING_TYPES) & mine["persona"].isin(EXECUTIVE_PERSONAS)
        ]
        last = np.where(_row(executive["day"]) <= d, _row(executive["day"]), -np.inf).max(
            axis=1, initial=-np.inf
        )
        return np.where(np.isfinite(last), d[:, 0] - last, np.nan)

    def stakeholder_coverage(mine: pd.DataFrame, _: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        met = np.zeros(len(d))
        for role in STAKEHOLDER_PERSONAS:
            seen = _row(mine[mine["persona"] == role]["day"])
            met += ((seen <= d) & (seen > d - n90)).any(axis=1)
        return met / len(STAKEHOLDER_PERSONAS)

    out = days[["account_id", "day"]].copy()
    out["exec_engagement"] = _per_account(days, meetings, exec_engagement)
    out["stakeholder_coverage"] = _per_account(days, meetings, stakeholder_coverage)

    def training_meetings(mine: pd.DataFrame, account_days_: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        # Training meetings since the (first) subscription start.
        start = account_days_["first_subscription_day"].to_numpy(dtype=float)[:, None]
        held = _row(mine[mine["type"] == "Training"]["day"])
        return ((held >= start) & (held <= d)).sum(axis=1)

    out["training_meetings"] = _per_account(days, meetings, training_meetings).astype(int)
    return out


def nps(staged: Staged, days: pd.DataFrame, windows: dict[str, int]) -> pd.Series:
    contacts = staged.contacts.sort_values("id").drop_duplicates("email_key")
    responses = staged.nps.assign(
        account_id=staged.nps["email_key"].map(contacts.set_index("email_key")["account_id"]),
        day=_day(staged.nps["created_at"]),
    )
    n180 = windows["nps"]

    def compute(mine: pd.DataFrame, _: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        in_window = (_row(mine["day"]) <= d) & (_row(mine["day"]) > d - n180)
        promoters = (in_window & (_row(mine["score"]) >= 9)).sum(axis=1)
        detractors = (in_window & (_row(mine["score"]) <= 6)).sum(axis=1)
        count = in_window.sum(axis=1)
        return np.where(count > 0, 100.0 * (promoters - detractors) / np.maximum(count, 1), np.nan)

    return _per_account(days, responses, compute)


def support_burden(staged: Staged, days: pd.DataFrame, windows: dict[str, int]) -> pd.Series:
    tickets = staged.tickets.assign(
        account_id=staged.tickets["organization_id"].map(staged.organizations.set_index("id")["external_id"]),
        created_day=_day(staged.tickets["created_at"]),
        solved_day=_day(staged.tickets["solved_at"]).fillna(np.inf),
        urgent=staged.tickets["priority"].astype("string").str.strip().str.lower().isin(["high", "urgent"]),
        rating=staged.tickets["satisfaction_rating"].astype("string").str.strip().str.lower(),
    )
    n90 = windows["support_burden"]

    def compute(mine: pd.DataFrame, _: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        created = _row(mine["created_day"]) <= d
        open_urgent = (created & _row(mine["urgent"].fillna(False)) & (_row(mine["solved_day"]) > d)).sum(
            axis=1
        )
        recent = created & (_row(mine["created_day"]) > d - n90)
        rated = (recent & _row(mine["rating"].isin(["good", "bad"]).fillna(False))).sum(axis=1)
        bad = (recent & _row((mine["rating"] == "bad").fillna(False))).sum(axis=1)
        return open_urgent + np.where(rated > 0, 10.0 * bad / np.maximum(rated, 1), 0.0)

    return _per_account(days, tickets, compute).fillna(0.0)


def payment_health(staged: Staged, days: pd.DataFrame) -> pd.Series:
    invoices = staged.invoices[
        (staged.invoices["amount_due"] > 0) & ~staged.invoices["status"].isin(["void", "draft"])
    ]
    invoices = invoices.assign(
        account_id=invoices["customer_id"].map(staged.customers.set_index("id")["account_id"]),
        created_day=_day(invoices["created"]),
        due_day=_day(invoices["due_date"]),
        paid_day=_day(invoices["paid_at"]),
    )

    def compute(mine: pd.DataFrame, _: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        never_paid = _row(mine["paid_day"].isna() & mine["status"].isin(["open", "uncollectible"]))
        unpaid = never_paid | (_row(mine["paid_day"].fillna(-np.inf)) > d)
        due = _row(mine["due_day"])
        overdue = unpaid & (_row(mine["created_day"]) <= d) & (due < d) & (due >= d - OVERDUE_LOOKBACK_DAYS)
        oldest = np.where(overdue, due, np.inf).min(axis=1, initial=np.inf)
        return np.where(np.isfinite(oldest), d[:, 0] - oldest, 0.0)

    return _per_account(days, invoices, compute).fillna(0.0)


def goal_attainment(staged: Staged, days: pd.DataFrame) -> pd.Series:
    goals = staged.goals.assign(
        target_day=_day(staged.goals["target_date"]),
        achieved_day=_day(staged.goals["achieved_date"]).fillna(np.inf),
        validated=staged.goals["validated_by_customer"].fillna(False).astype(bool),
    )

    def compute(mine: pd.DataFrame, _: pd.DataFrame, d: np.ndarray) -> np.ndarray:
        due = _row(mine["target_day"]) <= d
        achieved = due & (_row(mine["achieved_day"]) <= d)
        credit = np.where(
            achieved & _row(mine["validated"]), CREDIT_VALIDATED, np.where(achieved, CREDIT_ACHIEVED, 0.0)
        )
        count = due.sum(axis=1)
        return np.where(count > 0, credit.sum(axis=1) / np.maximum(count, 1), np.nan)

    return _per_account(days, goals, compute)


def product_activity(staged: Staged) -> pd.DataFrame:
    """One row per account, user and day with a usable event: the user's licence flag and
    the number of events (what the usage measures count)."""
    users = staged.users.set_index("id")
    events = staged.tracks.assign(
        account_id=staged.tracks["user_id"].map(users["account_id"]),
        activity_date=pd.to_datetime(staged.tracks["timestamp"]).dt.date,
    )
    out = (
        events.groupby(["account_id", "user_id", "activity_date"]).size().rename("event_count").reset_index()
    )
    out["is_licensed"] = out["user_id"].map(users["is_licensed"].fillna(False).astype(bool))
    return out


def measures(staged: Staged, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    """One row per scored account and day (first_day..last_day) with every measure the
    indicators are made of (seats, active users, key features, meetings ...)."""
    windows = window_days()
    days = account_days(staged, first_day, last_day)
    wide = usage(staged, days, windows).merge(relationship(staged, days, windows), on=["account_id", "day"])
    wide["nps"] = nps(staged, wide, windows)
    wide["support_burden"] = support_burden(staged, wide, windows)
    wide["payment_health"] = payment_health(staged, wide)
    wide["goal_attainment"] = goal_attainment(staged, wide)
    wide["as_of_date"] = pd.to_datetime(wide["day"], unit="D").dt.date
    return wide


def indicator_values(staged: Staged, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    """Long frame: account_id, as_of_date, indicator_id, raw_value (NaN = no data)."""
    return indicators_from(measures(staged, first_day, last_day))


def indicators_from(measured: pd.DataFrame) -> pd.DataFrame:
    """The indicators of `measures()` rows, as a long frame (see indicator_values)."""
    wide = measured.copy()

    seats = wide["licensed_seats"].where(wide["licensed_seats"] > 0)
    wide["license_utilization"] = wide["licensed_active_users_30d"] / seats
    prior = wide["active_users_prior_30d"].where(wide["active_users_prior_30d"] > 0)
    wide["active_user_trend"] = (wide["active_users_30d"] - prior) / prior
    licensed_keys = wide["key_features_licensed"].where(wide["key_features_licensed"] > 0)
    wide["feature_breadth"] = wide["key_features_used_30d"] / licensed_keys

    elapsed_days = wide["day"] - wide["first_subscription_day"] + 1
    milestones = (
        (wide["active_users_30d"] > 0).astype(int)
        + (wide["training_meetings"] > 0).astype(int)
        + (wide["license_utilization"].fillna(0) >= 0.5).astype(int)
        + (wide["key_features_used_30d"] >= 3).astype(int)
    )
    progress = (milestones / 4) / np.maximum(ONBOARDING_MIN_ELAPSED, elapsed_days / ONBOARDING_DAYS)
    in_onboarding = wide["day"] < wide["first_subscription_day"] + ONBOARDING_DAYS
    wide["onboarding_progress"] = np.minimum(ONBOARDING_CAP, progress).where(in_onboarding)

    long = wide.melt(
        id_vars=["account_id", "as_of_date"],
        value_vars=list(INDICATORS),
        var_name="indicator_id",
        value_name="raw_value",
    )
    long["raw_value"] = long["raw_value"].astype(float)
    return long.sort_values(["account_id", "as_of_date", "indicator_id"]).reset_index(drop=True)
