"""Relationship x impact: the 2x2 map of accounts (or enterprises) with ARR as size, the play of
each quadrant and the accounts in it."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from health_dashboard import charts, data, ui

VIEW_KEY = "quadrant_view"
QUADRANT_KEY = "quadrant_pick"
QUADRANT_COLORS = {
    "strong_relationship_high_impact": "#2e7d32",
    "weak_relationship_high_impact": "#1565c0",
    "strong_relationship_low_impact": "#f9a825",
    "weak_relationship_low_impact": "#c62828",
}
VIEWS = {"accounts": "Accounts", "enterprises": "Enterprises (top-level parents, by ARR)"}

st.title("Relationship × impact")
if not data.has_table("dim_health_quadrant"):
    ui.optional_mart_missing("dim_health_quadrant", "The relationship × impact map")
    st.stop()
day = ui.as_of()
ui.partial_day_notice(day)
quadrants = data.query("select * from marts.dim_health_quadrant")
labels = dict(zip(quadrants["health_quadrant"], quadrants["quadrant_label"], strict=True))
relationship_threshold = float(quadrants["relationship_threshold"].iloc[0])
impact_threshold = float(quadrants["impact_threshold"].iloc[0])
st.caption(
    "Health boils down to two dimensions (LLR guide): do we have the right **relationships**, and "
    "does the customer get **impact**? Each is a weighted mean of indicator scores (seed "
    f"health_dimension_indicators); strong at or above {relationship_threshold:.0f}, high at or above "
    f"{impact_threshold:.0f} (seed health_dimensions). Bubble size: ARR."
)
view = st.segmented_control("Show", list(VIEWS), format_func=VIEWS.get, key=VIEW_KEY, default="accounts")
if view == "enterprises":
    points = data.query(
        """
        select h.account_id, h.dimension_relationship_score, h.dimension_impact_score, h.health_quadrant,
            h.total_weight as arr, h.health_band as band, h.health_score as score, h.subtree_account_count
        from marts.fct_hierarchy_health_daily as h
        where h.as_of_date = ? and h.rollup_method = 'contract_value' and h.hierarchy_depth = 0
            and h.subtree_account_count > 1 and h.health_quadrant is not null
        """,
        [day],
    )
else:
    points = data.query(
        """
        select account_id, dimension_relationship_score, dimension_impact_score, health_quadrant,
            arr, effective_health_band as band, effective_health_score as score
        from marts.fct_account_health_daily
        where as_of_date = ? and health_quadrant is not null
        """,
        [day],
    )
if points.empty:
    st.info(f"No {VIEWS[view or 'accounts'].lower()} with both dimension scores on {day:%Y-%m-%d}.")
    st.stop()
names = data.account_names(points["account_id"].tolist())
points = points.assign(
    account=points["account_id"].map(names),
    quadrant=points["health_quadrant"].map(labels),
    arr=points["arr"].fillna(0.0),
)
color = alt.Color(
    "quadrant:N",
    scale=alt.Scale(
        domain=[labels[q] for q in QUADRANT_COLORS if q in labels],
        range=[QUADRANT_COLORS[q] for q in QUADRANT_COLORS if q in labels],
    ),
    legend=alt.Legend(title="Quadrant", orient="bottom", columns=2, labelLimit=320),
)
# Every account in the counts and the table below; on the map, the largest by ARR as bubbles
# and, when there are more, all of them as density cells under the bubbles.
bubbles = points.sort_values(["arr", "account_id"], ascending=[False, True]).head(charts.MAX_BUBBLES)
scatter = (
    alt.Chart(bubbles)
    .mark_circle(opacity=0.65, stroke="#37474f", strokeWidth=0.5)
    .encode(
        x=alt.X("dimension_impact_score:Q", title="Impact (0-100)", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y(
            "dimension_relationship_score:Q", title="Relationship (0-100)", scale=alt.Scale(domain=[0, 100])
        ),
        size=alt.Size("arr:Q", title="ARR", scale=alt.Scale(range=[20, 1400]), legend=None),
        color=color,
        tooltip=[
            alt.Tooltip("account:N", title="Account"),
            alt.Tooltip("quadrant:N", title="Quadrant"),
            alt.Tooltip("dimension_relationship_score:Q", title="Relationship", format=".1f"),
            alt.Tooltip("dimension_impact_score:Q", title="Impact", format=".1f"),
            alt.Tooltip("arr:Q", title="ARR", format="$,.0f"),
            alt.Tooltip("band:N", title="Band (effective)"),
        ],
    )
)
rules = [
    alt.Chart(pd.DataFrame({"x": [impact_threshold]}))
    .mark_rule(strokeDash=[5, 4], color="#607d8b")
    .encode(x="x:Q"),
    alt.Chart(pd.DataFrame({"y": [relationship_threshold]}))
    .mark_rule(strokeDash=[5, 4], color="#607d8b")
    .encode(y="y:Q"),
]
corners = pd.DataFrame(
    {
        "x": [2, 98, 2, 98],
        "y": [98, 98, 2, 2],
        "align": ["left", "right", "left", "right"],
        "text": [
            labels.get("strong_relationship_low_impact", ""),
            labels.get("strong_relationship_high_impact", ""),
            labels.get("weak_relationship_low_impact", ""),
            labels.get("weak_relationship_high_impact", ""),
        ],
    }
)
texts = [
    alt.Chart(corners[corners["align"] == side])
    .mark_text(align=side, baseline="middle", fontSize=11, color="#455a64", fontWeight="bold")
    .encode(x="x:Q", y="y:Q", text="text:N")
    for side in ("left", "right")
]
title = f"{VIEWS[view or 'accounts']} on {day:%Y-%m-%d} ({len(points):,})"
layers = [scatter, *rules, *texts]
if len(bubbles) < len(points):
    title += f": bubbles for the {len(bubbles):,} largest by ARR, grey cells for all"
    cells = charts.density_cells(points, "dimension_impact_score", "dimension_relationship_score")
    density = (
        alt.Chart(cells)
        .mark_rect(opacity=0.5)
        .encode(
            x=alt.X("x:Q", title="Impact (0-100)"),
            x2="x2:Q",
            y=alt.Y("y:Q", title="Relationship (0-100)"),
            y2="y2:Q",
            color=alt.Color(
                "points:Q",
                scale=alt.Scale(scheme="greys"),
                legend=alt.Legend(title=f"{VIEWS[view or 'accounts']} per cell", orient="right"),
            ),
            tooltip=[alt.Tooltip("points:Q", title=VIEWS[view or "accounts"], format=",d")],
        )
    )
    layers.insert(0, density)
st.altair_chart(
    alt.layer(*layers).resolve_scale(color="independent").properties(height=520, title=title),
    width="stretch",
)

summary = (
    points.groupby("health_quadrant")
    .agg(count=("account_id", "size"), arr=("arr", "sum"))
    .reindex(list(QUADRANT_COLORS))
    .fillna(0)
    .reset_index()
    .merge(quadrants, on="health_quadrant", how="left")
)
st.subheader("Plays")
columns = st.columns(4)
for column, (_, quadrant) in zip(columns, summary.iterrows(), strict=True):
    with column.container(border=True):
        st.markdown(f"**{quadrant['quadrant_label']}**")
        st.markdown(f"Play: **{quadrant['recommended_play']}**")
        st.caption(f"{int(quadrant['count'])} · {ui.money(quadrant['arr'])} ARR")
        st.caption(str(quadrant["play_description"]))

pick = st.selectbox(
    "Accounts in quadrant", list(QUADRANT_COLORS), format_func=lambda q: labels.get(q, q), key=QUADRANT_KEY
)
listed = points[points["health_quadrant"] == pick].sort_values("arr", ascending=False)
listed = listed.assign(link="./account?account_id=" + listed["account_id"])
st.dataframe(
    listed[
        ["account", "arr", "dimension_relationship_score", "dimension_impact_score", "band", "score", "link"]
    ],
    hide_index=True,
    column_config={
        "account": "Account",
        "arr": st.column_config.NumberColumn("ARR", format="dollar"),
        "dimension_relationship_score": st.column_config.NumberColumn("Relationship", format="%.1f"),
        "dimension_impact_score": st.column_config.NumberColumn("Impact", format="%.1f"),
        "band": "Band (effective)",
        "score": st.column_config.NumberColumn("Score (effective)", format="%.1f"),
        "link": st.column_config.LinkColumn("Open", display_text="account page"),
    },
)
