"""Widgets and formats shared by the pages."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import streamlit as st

from health_dashboard import data

AS_OF_KEY = "as_of"
TREND_DAYS = 180


def as_of() -> dt.date:
    """The as-of day picked in the sidebar (the latest published day by default)."""
    value = st.session_state.get(AS_OF_KEY)
    if isinstance(value, dt.date):
        return value
    span = data.as_of_range()
    if span is None:
        raise data.ServingCopyMissing(
            "The serving copy has no scored day (fct_account_health_daily is empty)."
        )
    return span[1]


def trend_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=TREND_DAYS - 1)


def is_missing(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT
    )


def money(value: object) -> str:
    if is_missing(value):
        return "–"
    amount = float(value)  # type: ignore[arg-type]
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1_000_000:
        return f"{sign}${amount / 1_000_000:,.2f}M"
    if amount >= 1_000:
        return f"{sign}${amount / 1_000:,.1f}k"
    return f"{sign}${amount:,.0f}"


def score(value: object, digits: int = 1) -> str:
    return "–" if is_missing(value) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def signed(value: object, digits: int = 1, suffix: str = "") -> str | None:
    """A delta for st.metric (None hides it)."""
    return None if is_missing(value) else f"{float(value):+.{digits}f}{suffix}"  # type: ignore[arg-type]


def percent(value: object, digits: int = 1) -> str:
    return "–" if is_missing(value) else f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


def band_badge(band: object) -> str:
    """Markdown badge of a health band."""
    colors = {"good": "green", "average": "orange", "poor": "red", "insufficient_data": "gray"}
    text = "no band" if is_missing(band) else str(band).replace("_", " ")
    return f":{colors.get(str(band), 'gray')}-badge[{text}]"


def optional_mart_missing(table: str, what: str) -> None:
    st.info(
        f"**{what} is not available in this publication** (the mart `marts.{table}` was not "
        "published). The other pages work without it; it appears here after the next build "
        "that produces it is published.",
        icon=":material/info:",
    )


def reasons_markdown(text: object) -> str:
    """top_reasons ('a; b; c') as a bullet list."""
    if is_missing(text) or not str(text).strip():
        return "_No reasons recorded._"
    parts = [p.strip() for p in str(text).split(";") if p.strip()]
    return "\n".join(f"- {p}" for p in parts)


def partial_day_text(live: data.LiveDay) -> str:
    computed = f" at {live.computed_at:%Y-%m-%d %H:%M} UTC" if live.computed_at else ""
    return (
        f"**Partial day: {live.day:%Y-%m-%d} is still running.** These figures were computed{computed} "
        "from the data landed so far; the nightly run replaces them with the day's final figures."
    )


def partial_day_notice(day: dt.date) -> data.LiveDay:
    """Mark the page when the day's figures are partial (an intraday run, not yet final)."""
    live = data.live_day(day)
    if live.is_partial:
        st.info(partial_day_text(live), icon=":material/schedule:")
    return live
