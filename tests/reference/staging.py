"""The usable current records of the raw tables, by the raw-source contract alone.

Landing rules (shared/contracts/raw_sources.md): the row with the latest `_loaded_at` is
a record's current version; soft-deleted records (`is_deleted`, billing `deleted`) are
gone; rows that cannot be used are set aside: a null key, a parent that does not exist
(or is itself deleted or set aside), a null or future timestamp (later than its own load
time plus 24 hours), a non-positive amount, an unknown currency or interval, an NPS
score outside 0-10, a billing customer without a CRM link, a respondent whose email
matches no contact. Written from the contract, not from the SQL of the staging layer.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
FUTURE_TOLERANCE = pd.Timedelta(hours=24)


@dataclass(frozen=True)
class Staged:
    """Usable current records, one frame per raw table (raw column names kept)."""

    accounts: pd.DataFrame
    contacts: pd.DataFrame
    meetings: pd.DataFrame
    goals: pd.DataFrame
    customers: pd.DataFrame
    subscriptions: pd.DataFrame
    items: pd.DataFrame
    invoices: pd.DataFrame
    users: pd.DataFrame
    tracks: pd.DataFrame
    organizations: pd.DataFrame
    tickets: pd.DataFrame
    nps: pd.DataFrame


def read_seed(folder: str, name: str) -> list[dict[str, str]]:
    with open(SEEDS / folder / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def current_versions(frame: pd.DataFrame, key: str = "id") -> pd.DataFrame:
    """One row per non-null key: the one with the latest _loaded_at (a null load time
    loses). Two different rows tied on the latest load time would make "current"
    ambiguous: the reference refuses them rather than guess."""
    keyed = frame[frame[key].notna()]
    latest = keyed.groupby(key)["_loaded_at"].transform("max")
    top = keyed[(keyed["_loaded_at"] == latest) | (latest.isna() & keyed["_loaded_at"].isna())]
    tied = top[top[key].duplicated(keep=False)].astype(str).drop_duplicates()
    ambiguous = tied[key].duplicated(keep=False)
    if ambiguous.any():
        raise ValueError(f"records tied on their latest _loaded_at: {sorted(set(tied[key][ambiguous]))}")
    return top.drop_duplicates(key).reset_index(drop=True)


def _flag(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().str.lower()


def _not_future(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].notna() & ~(frame[column] > frame["_loaded_at"] + FUTURE_TOLERANCE)


def _crm_link(metadata: object) -> str | None:
    if metadata is None or pd.isna(metadata):
        return None
    try:
        parsed = json.loads(str(metadata))
    except ValueError:
        return None
    link = parsed.get("crm_account_id") if isinstance(parsed, dict) else None
    return link if isinstance(link, str) and link.strip() else None


def load(con: duckdb.DuckDBPyConnection) -> Staged:
    """Read every raw table the indicators need and keep the usable current records."""

    def raw(table: str) -> pd.DataFrame:
        return current_versions(con.execute(f"select * from {table}").df())

    accounts = raw("crm.account")
    accounts = accounts[~_flag(accounts["is_deleted"])]
    account_ids = set(accounts["id"])

    contacts = raw("crm.contact")
    contacts = contacts[~_flag(contacts["is_deleted"]) & contacts["account_id"].isin(account_ids)].copy()
    contacts["email_key"] = _text(contacts["email"])
    contacts["persona"] = _text(contacts["persona__c"])

    meetings = raw("crm.event")
    meetings = meetings[
        ~_flag(meetings["is_deleted"])
        & meetings["account_id"].isin(account_ids)
        & meetings["activity_date"].notna()
    ]

    goals = raw("crm.success_goal")
    goals = goals[~_flag(goals["is_deleted"]) & goals["account_id"].isin(account_ids)]

    customers = raw("billing.customer")
    customers = customers[~_flag(customers["deleted"])].copy()
    customers["account_id"] = customers["metadata"].map(_crm_link)
    customers = customers[customers["account_id"].isin(account_ids)]

    subscriptions = raw("billing.subscription")
    subscriptions["status"] = _text(subscriptions["status"])
    future_start = (
        subscriptions["start_date"] > subscriptions["_loaded_at"] + FUTURE_TOLERANCE
    ) & ~subscriptions["status"].isin(["trialing", "incomplete"])
    subscriptions = subscriptions[
        subscriptions["customer_id"].isin(set(customers["id"]))
        & subscriptions["start_date"].notna()
        & ~future_start
    ]

    currencies = {row["currency_code"] for row in read_seed("reference", "currencies")}
    items = raw("billing.subscription_item")
    items = items[
        items["subscription_id"].isin(set(subscriptions["id"]))
        & (items["quantity"].fillna(0) > 0)
        & (items["unit_amount"].fillna(-1) >= 0)
        & items["currency"].str.strip().str.upper().isin(currencies)
        & _text(items["interval"]).isin(["month", "year"])
    ]

    invoices = raw("billing.invoice")
    invoices["status"] = _text(invoices["status"])
    invoices = invoices[
        invoices["customer_id"].isin(set(customers["id"]))
        & (invoices["amount_due"].fillna(-1) >= 0)
        & invoices["currency"].str.strip().str.upper().isin(currencies)
        & _not_future(invoices, "created")
    ]

    users = raw("product.users")
    users = users[users["account_id"].isin(account_ids)]

    tracks = raw("product.tracks")
    tracks = tracks[tracks["user_id"].isin(set(users["id"])) & _not_future(tracks, "timestamp")]

    organizations = raw("support.organization")
    organizations = organizations[organizations["external_id"].isin(account_ids)]

    tickets = raw("support.ticket")
    tickets = tickets[
        ~_flag(tickets["is_deleted"])
        & tickets["organization_id"].isin(set(organizations["id"]))
        & _not_future(tickets, "created_at")
    ]

    nps = raw("survey.nps_response")
    nps = nps[nps["score"].between(0, 10) & _not_future(nps, "created_at")].copy()
    nps["email_key"] = _text(nps["email"])
    nps = nps[nps["email_key"].isin(set(contacts["email_key"].dropna()))]

    return Staged(
        accounts=accounts,
        contacts=contacts,
        meetings=meetings,
        goals=goals,
        customers=customers,
        subscriptions=subscriptions,
        items=items,
        invoices=invoices,
        users=users,
        tracks=tracks,
        organizations=organizations,
        tickets=tickets,
        nps=nps,
    )
