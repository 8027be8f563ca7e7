"""Account-page panels of round 2: the CSM override beside the computed score, the
relationship x impact quadrant with its play, and the account's product modules."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from health_dashboard import data, products, ui


def override_panel(row: pd.Series, account_id: str) -> None:
    """The override that applies on the day (or a note that none does), beside the computed
    score: band and score set by the CSM, the reason, the author and the last day."""
    with st.container(border=True):
        override_id = row.get("override_id")
        if ui.is_missing(override_id) or not data.has_table("dim_health_override"):
            st.markdown("**CSM override**")
            st.caption("No CSM override applies on this day: the effective health is the computed one.")
            return
        found = data.query("select * from marts.dim_health_override where override_id = ?", [override_id])
        if found.empty:
            st.caption(f"Override `{override_id}` is not in this publication.")
            return
        o = found.iloc[0]
        end = pd.Timestamp(o["effective_end_date"]).date()
        until = f"until **{end:%Y-%m-%d}**"
        if bool(o["is_open_ended"]):
            until += " (open-ended: capped)"
        st.markdown(
            f"**CSM override** {ui.band_badge(o['health_band'])} "
            f"score {ui.score(o['health_score']) if not ui.is_missing(o['health_score']) else 'not set'} · "
            f"by `{o['created_by_user_id']}` · from {pd.Timestamp(o['start_date']):%Y-%m-%d} {until}"
        )
        st.markdown(f"> {o['override_reason'] or 'No reason given.'}")
        cols = st.columns(2)
        effective_band = str(row["effective_health_band"]).replace("_", " ")
        computed_band = str(row["health_band"]).replace("_", " ")
        effective = f"{ui.score(row['effective_health_score'])} · {effective_band}"
        cols[0].metric("Effective (roll-ups, segments, alerts)", effective)
        cols[1].metric("Computed", f"{ui.score(row['health_score'])} · {computed_band}")


def override_history(account_id: str) -> None:
    if not data.has_table("dim_health_override"):
        return
    history = data.query(
        "select start_date, effective_end_date, health_band, health_score, override_reason, "
        "created_by_user_id, is_open_ended from marts.dim_health_override where account_id = ? "
        "order by start_date desc",
        [account_id],
    )
    if history.empty:
        return
    with st.expander(f"CSM overrides of this account ({len(history)})"):
        st.dataframe(
            history,
            hide_index=True,
            column_config={
                "start_date": st.column_config.DateColumn("From"),
                "effective_end_date": st.column_config.DateColumn("Until (last day)"),
                "health_band": "Band",
                "health_score": st.column_config.NumberColumn("Score", format="%.0f"),
                "override_reason": st.column_config.TextColumn("Reason", width="large"),
                "created_by_user_id": "Author (CRM user)",
                "is_open_ended": "Open-ended",
            },
        )


def quadrant_panel(row: pd.Series) -> None:
    """Relationship x impact: the two dimension scores, the quadrant and its play."""
    quadrant = row.get("health_quadrant")
    with st.container(border=True):
        st.markdown("**Relationship × impact**")
        cols = st.columns(2)
        cols[0].metric("Relationship", ui.score(row.get("dimension_relationship_score")))
        cols[1].metric("Impact", ui.score(row.get("dimension_impact_score")))
        if ui.is_missing(quadrant):
            st.caption("No quadrant: one of the dimensions has no indicator with a score on this day.")
            return
        play = pd.DataFrame()
        if data.has_table("dim_health_quadrant"):
            play = data.query("select * from marts.dim_health_quadrant where health_quadrant = ?", [quadrant])
        if play.empty:
            st.markdown(f"Quadrant: **{str(quadrant).replace('_', ' ')}**")
            return
        p = play.iloc[0]
        st.markdown(f"{p['quadrant_label']} → **Play: {p['recommended_play']}**")
        st.caption(str(p["play_description"]))


def product_table(account_id: str, day: dt.date) -> None:
    """The modules the account licenses on the day, worst first, with their reasons."""
    if not data.has_table("fct_product_health_daily"):
        return
    rows = data.query(
        "select product_id, health_band, health_score, score_change_30d, licensed_seats, arr, "
        "active_users_30d, coverage, top_reasons from marts.fct_product_health_daily "
        "where account_id = ? and as_of_date = ? order by health_score nulls first, product_id",
        [account_id, day],
    )
    st.subheader("Product modules")
    if rows.empty:
        st.caption("No product module licensed on this day.")
        return
    rows.insert(0, "module", rows["product_id"].map(products.label))
    st.dataframe(
        rows.drop(columns=["product_id"]),
        hide_index=True,
        column_config={
            "module": "Module",
            "health_band": "Band",
            "health_score": st.column_config.NumberColumn("Score", format="%.1f"),
            "score_change_30d": st.column_config.NumberColumn("Δ30d", format="%+.1f"),
            "licensed_seats": st.column_config.NumberColumn("Seats", format="%d"),
            "arr": st.column_config.NumberColumn("Module ARR", format="dollar"),
            "active_users_30d": st.column_config.NumberColumn("Active users 30d", format="%d"),
            "coverage": st.column_config.NumberColumn("Coverage", format="percent"),
            "top_reasons": st.column_config.TextColumn("Why it moved (30 days)", width="large"),
        },
    )
    if data.has_table("fct_product_indicator_scores_daily"):
        indicators = data.query(
            "select product_id, indicator_id, raw_value, indicator_score, effective_weight "
            "from marts.fct_product_indicator_scores_daily where account_id = ? and as_of_date = ? "
            "order by product_id, effective_weight desc",
            [account_id, day],
        )
        if not indicators.empty:
            with st.expander("Module indicators"):
                indicators.insert(0, "module", indicators["product_id"].map(products.label))
                st.dataframe(
                    indicators.drop(columns=["product_id"]),
                    hide_index=True,
                    column_config={
                        "module": "Module",
                        "indicator_id": "Indicator",
                        "raw_value": st.column_config.NumberColumn("Raw value", format="%.3g"),
                        "indicator_score": st.column_config.NumberColumn("Score", format="%.1f"),
                        "effective_weight": st.column_config.NumberColumn("Weight", format="percent"),
                    },
                )
