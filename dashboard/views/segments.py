"""Segments: health by vertical, region, tier, lifecycle stage, profile or CSM, sortable."""

from __future__ import annotations

import altair as alt
import streamlit as st
from health_dashboard import charts, data, ui

DIMENSIONS = {
    "industry": "Vertical (industry)",
    "region": "Region",
    "customer_tier": "Tier",
    "lifecycle_stage": "Lifecycle stage",
    "health_profile_id": "Health profile",
    "owner_user_id": "CSM (owner)",
}
SORTS = {
    "ARR at risk (largest first)": ("arr_at_risk", False),
    "ARR-weighted score (worst first)": ("arr_weighted_health_score", True),
    "30-day score change (largest drop first)": ("arr_weighted_health_score_change_30d", True),
    "ARR (largest first)": ("arr", False),
    "Accounts (most first)": ("account_count", False),
}
TREND_LINES = 8

st.title("Segments")
if not data.has_table("fct_segment_health_daily"):
    ui.optional_mart_missing("fct_segment_health_daily", "Segment health")
    st.stop()

day = ui.as_of()
ui.partial_day_notice(day)
controls = st.columns([3, 2])
dimension = controls[0].radio(
    "Segment by", list(DIMENSIONS), format_func=DIMENSIONS.get, horizontal=True, key="segment_dimension"
)
sort_label = controls[1].selectbox("Sort by", list(SORTS), key="segment_sort")
sort_column, ascending = SORTS[sort_label]

segments = data.query(
    """
    select
        segment_value,
        cast(account_count as bigint) as account_count,
        cast(good_accounts as bigint) as good_accounts,
        cast(average_accounts as bigint) as average_accounts,
        cast(poor_accounts as bigint) as poor_accounts,
        cast(insufficient_data_accounts as bigint) as insufficient_data_accounts,
        arr, good_arr, average_arr, arr_at_risk, insufficient_data_arr, good_arr_share,
        mean_health_score, arr_weighted_health_score,
        mean_health_score_change_30d, arr_weighted_health_score_change_30d, arr_at_risk_change_30d
    from marts.fct_segment_health_daily
    where segment_dimension = ? and as_of_date = ?
    """,
    [dimension, day],
)
if segments.empty:
    st.warning(f"No segment figures for {day:%Y-%m-%d}.")
    st.stop()
segments = segments.sort_values(sort_column, ascending=ascending, na_position="last", kind="stable")
order = segments["segment_value"].tolist()
st.caption(
    f"{DIMENSIONS[dimension]} on {day:%Y-%m-%d}: {len(segments)} segments, "
    f"{int(segments['account_count'].sum()):,} accounts. Sorted by: {sort_label}; "
    "click a column header of the table to sort by any other column."
)

by_band = (
    segments[["segment_value", "good_arr", "average_arr", "arr_at_risk", "insufficient_data_arr"]]
    .melt(
        id_vars="segment_value",
        value_vars=["good_arr", "average_arr", "arr_at_risk", "insufficient_data_arr"],
        var_name="band",
        value_name="arr",
    )
    .assign(
        band=lambda f: f["band"].map(
            {
                "good_arr": "good",
                "average_arr": "average",
                "arr_at_risk": "poor",
                "insufficient_data_arr": "insufficient_data",
            }
        )
    )
)
by_band = by_band.assign(
    band_label=by_band["band"].map(charts.BAND_LABELS),
    band_order=by_band["band"].map({b: i for i, b in enumerate(charts.BANDS)}),
)
arr_chart = (
    alt.Chart(by_band, title="ARR by health band")
    .mark_bar()
    .encode(
        y=alt.Y("segment_value:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=200)),
        x=alt.X("arr:Q", stack="zero", title="ARR (USD)", axis=alt.Axis(format="$.3~s")),
        color=alt.Color(
            "band_label:N", scale=charts.band_scale(), legend=alt.Legend(title="Band", orient="bottom")
        ),
        order=alt.Order("band_order:Q"),
        tooltip=[
            alt.Tooltip("segment_value:N", title=DIMENSIONS[dimension]),
            alt.Tooltip("band_label:N", title="Band"),
            alt.Tooltip("arr:Q", title="ARR", format="$,.0f"),
        ],
    )
    .properties(height=alt.Step(22))
)
score_chart = (
    alt.Chart(segments, title="ARR-weighted health score and 30-day change")
    .mark_bar()
    .encode(
        y=alt.Y("segment_value:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=200)),
        x=alt.X("arr_weighted_health_score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color(
            "arr_weighted_health_score_change_30d:Q",
            title="30-day change",
            scale=alt.Scale(scheme="redyellowgreen", domainMid=0),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("segment_value:N", title=DIMENSIONS[dimension]),
            alt.Tooltip("arr_weighted_health_score:Q", title="ARR-weighted score", format=".1f"),
            alt.Tooltip("mean_health_score:Q", title="Mean score", format=".1f"),
            alt.Tooltip("arr_weighted_health_score_change_30d:Q", title="30-day change", format="+.1f"),
        ],
    )
    .properties(height=alt.Step(22))
)
left, right = st.columns(2)
left.altair_chart(arr_chart, width="stretch")
right.altair_chart(score_chart, width="stretch")

st.dataframe(
    segments,
    hide_index=True,
    column_order=[
        "segment_value",
        "account_count",
        "good_accounts",
        "average_accounts",
        "poor_accounts",
        "insufficient_data_accounts",
        "arr",
        "arr_at_risk",
        "arr_at_risk_change_30d",
        "good_arr_share",
        "arr_weighted_health_score",
        "arr_weighted_health_score_change_30d",
        "mean_health_score",
        "mean_health_score_change_30d",
    ],
    column_config={
        "segment_value": DIMENSIONS[dimension],
        "account_count": st.column_config.NumberColumn("Accounts", format="%d"),
        "good_accounts": st.column_config.NumberColumn("Good", format="%d"),
        "average_accounts": st.column_config.NumberColumn("Average", format="%d"),
        "poor_accounts": st.column_config.NumberColumn("Poor", format="%d"),
        "insufficient_data_accounts": st.column_config.NumberColumn("No data", format="%d"),
        "arr": st.column_config.NumberColumn("ARR", format="dollar"),
        "arr_at_risk": st.column_config.NumberColumn("ARR at risk", format="dollar"),
        "arr_at_risk_change_30d": st.column_config.NumberColumn("ARR at risk Δ30d", format="dollar"),
        "good_arr_share": st.column_config.ProgressColumn(
            "ARR in good health", format="percent", min_value=0, max_value=1
        ),
        "arr_weighted_health_score": st.column_config.NumberColumn("ARR-weighted score", format="%.1f"),
        "arr_weighted_health_score_change_30d": st.column_config.NumberColumn("Δ30d", format="%+.1f"),
        "mean_health_score": st.column_config.NumberColumn("Mean score", format="%.1f"),
        "mean_health_score_change_30d": st.column_config.NumberColumn("Mean Δ30d", format="%+.1f"),
    },
)

st.subheader(f"Last {ui.TREND_DAYS} days")
shown = segments.sort_values("arr", ascending=False)["segment_value"].head(TREND_LINES).tolist()
trend = data.query(
    """
    select as_of_date, segment_value, arr_weighted_health_score, arr_at_risk
    from marts.fct_segment_health_daily
    where segment_dimension = ? and as_of_date between ? and ? and segment_value in (select unnest(?))
    order by as_of_date
    """,
    [dimension, ui.trend_start(day), day, shown],
)
if len(segments) > TREND_LINES:
    st.caption(f"The {TREND_LINES} segments with the most ARR.")
left, right = st.columns(2)
left.altair_chart(
    charts.line(
        trend,
        "arr_weighted_health_score",
        "ARR-weighted health score",
        "Score",
        ".1f",
        color="segment_value",
        color_title=DIMENSIONS[dimension],
        zero=False,
    ),
    width="stretch",
)
right.altair_chart(
    charts.line(
        trend,
        "arr_at_risk",
        "ARR at risk",
        "ARR (USD)",
        "$.3~s",
        color="segment_value",
        color_title=DIMENSIONS[dimension],
    ),
    width="stretch",
)
if dimension == "owner_user_id":
    st.caption("CSMs are shown by their CRM user id (the marts carry no personal data).")
