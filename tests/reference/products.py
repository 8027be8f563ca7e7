"""Product-level health per account, licensed module and day, computed in Python from the
raw tables and the definition seeds (docs/product_health.md; the product_* rows of
seeds/definitions/health_indicators.csv), and each module's roll-up over the hierarchy.

A module is scored on d for an account scored on d that has an active subscription item of
that product on d. Its events: the account's usable events whose product id is the module,
or, without a product id, whose feature belongs to the module (seed product_features);
session events belong to no module. Measures as for the account (reference.indicators),
counted on those events only; the module's reach divides by the account's active users.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from reference.hierarchy import clean_links, figures, node_band, read_band_rules, subtrees
from reference.indicators import _day, _in_window, _ordinal, window_days
from reference.scoring import Definitions
from reference.staging import Staged, read_seed

PRODUCT_INDICATORS = (
    "product_license_utilization",
    "product_active_user_trend",
    "product_feature_breadth",
    "product_user_reach",
)


def item_days(staged: Staged, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    """One row per active subscription item and day: account, product, seats, ARR in USD."""
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
    currencies = {row["currency_code"]: row for row in read_seed("reference", "currencies")}
    code = items["currency"].str.strip().str.upper()
    exponent = code.map(lambda c: int(currencies[c]["minor_unit_exponent"]))
    rate = code.map(lambda c: float(currencies[c]["usd_per_unit"]))
    per_year = np.where(items["interval"].str.strip().str.lower() == "month", 12, 1)
    items["arr_usd"] = items["quantity"] * items["unit_amount"] / 10.0**exponent * per_year * rate
    days = pd.DataFrame({"day": np.arange(_ordinal(first_day), _ordinal(last_day) + 1)})
    active = items.merge(days, how="cross")
    return active[(active["active_from"] <= active["day"]) & (active["day"] < active["active_to"])]


def module_events(staged: Staged) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The usable events with their account (the user's), day and module (the product id,
    else the module owning the feature; none for session events), and per user: whether
    licensed, and the day the seat is freed (inf while held)."""
    users = staged.users.set_index("id")
    seat_end = _day(users["deactivated_at"]).fillna(np.inf)
    licensed = users["is_licensed"].fillna(False).astype(bool)
    owner = {row["feature"]: row["product_id"] for row in read_seed("definitions", "product_features")}
    events = staged.tracks[["user_id", "timestamp", "feature", "product_id"]].copy()
    events["account_id"] = events["user_id"].map(users["account_id"])
    events["day"] = _day(events["timestamp"])
    events["module"] = events["product_id"].fillna(events["feature"].map(owner))
    return events, licensed, seat_end


def product_measures(staged: Staged, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    """One row per account, licensed module and day: seats, ARR, and the module's usage."""
    windows = window_days()
    n30 = windows["product_license_utilization"]
    active = item_days(staged, first_day, last_day)
    days = (
        active.groupby(["account_id", "product_id", "day"])
        .agg(licensed_seats=("quantity", "sum"), arr=("arr_usd", "sum"))
        .reset_index()
    )
    tiers = staged.accounts.set_index("id")["customer_tier__c"].astype("string").str.strip().str.lower()
    days["customer_tier"] = days["account_id"].map(tiers)

    events, licensed, seat_end = module_events(staged)
    features = read_seed("definitions", "product_features")
    key_count: dict[str, int] = {}
    key_features = set()
    for row in features:
        if row["is_key_feature"] == "true":
            key_features.add((row["product_id"], row["feature"]))
            key_count[row["product_id"]] = key_count.get(row["product_id"], 0) + 1

    rows = []
    for (account_id, product_id), group in days.groupby(["account_id", "product_id"]):
        day_values = group["day"].to_numpy()
        mine = events[events["account_id"] == account_id]
        on_module = mine[mine["module"] == product_id].groupby("user_id")["day"]
        members = list(on_module.groups)
        if members:
            event_days = [np.unique(on_module.get_group(u).to_numpy()) for u in members]
            last_30 = _in_window(event_days, day_values, n30)
            prior_30 = _in_window(event_days, day_values, n30, offset=n30)
            holds_seat = np.array([licensed[u] & (day_values < seat_end[u]) for u in members])
            active_users = last_30.sum(axis=0)
            licensed_active = (last_30 & holds_seat).sum(axis=0)
            prior = prior_30.sum(axis=0)
        else:
            active_users = licensed_active = prior = np.zeros(len(day_values), dtype=int)
        everyone = mine.groupby("user_id")["day"]
        account_active = (
            _in_window([np.unique(g.to_numpy()) for _, g in everyone], day_values, n30).sum(axis=0)
            if len(everyone)
            else np.zeros(len(day_values), dtype=int)
        )
        used = np.zeros(len(day_values), dtype=int)
        keyed = mine[mine["feature"].notna() & (mine["module"] == product_id)]
        for feature, feature_days in keyed.groupby("feature")["day"]:
            if (product_id, feature) in key_features:
                used += _in_window([np.unique(feature_days.to_numpy())], day_values, n30)[0].astype(int)
        for i, (_, row) in enumerate(group.iterrows()):
            rows.append(
                {
                    "account_id": account_id,
                    "product_id": product_id,
                    "day": row["day"],
                    "active_users_30d": int(active_users[i]),
                    "licensed_active_users_30d": int(licensed_active[i]),
                    "active_users_prior_30d": int(prior[i]),
                    "key_features_used_30d": int(used[i]),
                    "key_features_licensed": key_count.get(product_id, np.nan),
                    "account_active_users_30d": int(account_active[i]),
                }
            )
    out = days.merge(pd.DataFrame(rows), on=["account_id", "product_id", "day"])
    out["as_of_date"] = pd.to_datetime(out["day"], unit="D").dt.date
    return out


def product_indicators(measured: pd.DataFrame) -> pd.DataFrame:
    wide = measured.copy()
    seats = wide["licensed_seats"].where(wide["licensed_seats"] > 0)
    wide["product_license_utilization"] = wide["licensed_active_users_30d"] / seats
    prior = wide["active_users_prior_30d"].where(wide["active_users_prior_30d"] > 0)
    wide["product_active_user_trend"] = (wide["active_users_30d"] - prior) / prior
    keys = wide["key_features_licensed"].where(wide["key_features_licensed"] > 0)
    wide["product_feature_breadth"] = wide["key_features_used_30d"] / keys
    reach_base = wide["account_active_users_30d"].where(wide["account_active_users_30d"] > 0)
    wide["product_user_reach"] = wide["active_users_30d"] / reach_base
    return wide


def product_health(staged: Staged, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    """One row per account, licensed module and day with the four raw values, the profile,
    the health score, coverage and band (and the module's seats and ARR)."""
    definitions = Definitions()
    wide = product_indicators(product_measures(staged, first_day, last_day))
    profiles, scores, coverages, bands = [], [], [], []
    for row in wide.itertuples(index=False):
        profile = definitions.product_profile(row.product_id, row.customer_tier)
        scored = definitions.score(profile, {i: getattr(row, i) for i in PRODUCT_INDICATORS})  # type: ignore[arg-type]
        profiles.append(profile)
        scores.append(scored.health_score)
        coverages.append(scored.coverage)
        bands.append(scored.health_band)
    return wide.assign(health_profile_id=profiles, health_score=scores, coverage=coverages, health_band=bands)


def usable_parents(staged: Staged) -> dict[str, str | None]:
    """The CRM parent of every usable account (the current hierarchy)."""
    accounts = staged.accounts
    return {
        str(a): (None if pd.isna(p) else str(p))
        for a, p in zip(accounts["id"], accounts["parent_id"], strict=True)
    }


def product_rollup(health: pd.DataFrame, parents: dict[str, str | None], days: list[dt.date]) -> dict:
    """Expected fct_hierarchy_product_health_daily rows keyed by (node, product, day, method)
    for `days`, on the hierarchy `parents` (cleaned by the contract's rules)."""
    effective, _ = clean_links(parents)
    trees = subtrees(effective)
    ancestors: dict[str, list[str]] = {}
    for node, members in trees.items():
        for member in members:
            ancestors.setdefault(member, []).append(node)
    rules = read_band_rules()
    expected = {}
    for (product_id, day), group in health[health["as_of_date"].isin(days)].groupby(
        ["product_id", "as_of_date"]
    ):
        licensed = {row.account_id: row for row in group.itertuples(index=False)}
        nodes = {node for account in licensed for node in ancestors.get(account, [])}
        for node in nodes:
            rows = [licensed[a] for a in trees[node] if a in licensed]
            banded = [r for r in rows if r.health_band in ("good", "average", "poor")]
            for method in ("account_count", "contract_value"):
                members = [
                    (
                        r.account_id,
                        r.health_score,
                        r.health_band,
                        1.0 if method == "account_count" else float(r.arr),
                    )
                    for r in banded
                ]
                item = figures(members)
                item["health_band"] = node_band(item, rules)
                expected[(node, product_id, day, method)] = item
    return expected


def module_usage(staged: Staged, day: dt.date) -> pd.DataFrame:
    """The expansion evidence (int_account_module_usage) on `day`: one row per account and
    module licensed on the day or with events on its features in the 90 days up to it.
    Users are counted as product health counts them (product_measures): distinct users with
    an event on the module in the last 30 days, and those holding a paid seat at the end of
    the day; features and events from the events on a feature of the module in 90 days."""
    d = _ordinal(day)
    active = item_days(staged, day, day)
    licenses = active.groupby(["account_id", "product_id"])["quantity"].sum().rename("licensed_seats")

    events, licensed, seat_end = module_events(staged)
    features = read_seed("definitions", "product_features")
    feature_count = pd.Series([row["product_id"] for row in features]).value_counts()
    events = events[events["account_id"].notna() & events["module"].notna() & (events["day"] <= d)]

    last_30 = events[events["day"] > d - 30]
    holds_seat = last_30["user_id"].map(licensed) & (d < last_30["user_id"].map(seat_end))
    users_30d = last_30.groupby(["account_id", "module"])["user_id"].nunique().rename("active_users_30d")
    licensed_30d = (
        last_30[holds_seat]
        .groupby(["account_id", "module"])["user_id"]
        .nunique()
        .rename("licensed_active_users_30d")
    )
    on_features = events[(events["day"] > d - 90) & events["feature"].notna()]
    per_feature = on_features.groupby(["account_id", "module", "feature"]).size()
    usage_90d = per_feature.groupby(["account_id", "module"]).agg(
        features_touched_90d="size", events_90d="sum"
    )
    usage_90d["features_touched"] = (
        per_feature.reset_index()
        .groupby(["account_id", "module"])["feature"]
        .agg(lambda names: ", ".join(sorted(names)))
    )

    modules = sorted(set(licenses.index) | set(usage_90d.index))
    out = pd.DataFrame(modules, columns=["account_id", "product_id"])
    index = pd.MultiIndex.from_frame(out)
    out["is_licensed"] = index.isin(licenses.index)
    out["licensed_seats"] = licenses.reindex(index).fillna(0).astype(int).to_numpy()
    out["active_users_30d"] = users_30d.reindex(index).fillna(0).astype(int).to_numpy()
    out["licensed_active_users_30d"] = licensed_30d.reindex(index).fillna(0).astype(int).to_numpy()
    seats = out["licensed_seats"].where(out["licensed_seats"] > 0)
    out["seat_utilization"] = out["licensed_active_users_30d"] / seats
    out["features_touched_90d"] = (
        usage_90d["features_touched_90d"].reindex(index).fillna(0).astype(int).to_numpy()
    )
    out["module_feature_count"] = out["product_id"].map(feature_count).fillna(0).astype(int)
    out["events_90d"] = usage_90d["events_90d"].reindex(index).fillna(0).astype(int).to_numpy()
    out["features_touched"] = usage_90d["features_touched"].reindex(index).to_numpy()
    return out
