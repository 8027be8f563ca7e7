"""Overview: band distribution, ARR at risk, the 180-day trend, the largest accounts at risk."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from health_dashboard import charts, data, ui

SEGMENT_COLUMNS = """
    as_of_date, cast(account_count as bigint) as account_count,
    cast(good_accounts as bigint) as good_accounts, cast(average_accounts as bigint) as average_accounts,
    cast(poor_accounts as bigint) as poor_accounts,
    cast(insufficient_data_accounts as bigint) as insufficient_data_accounts,
    arr, good_arr, average_arr, arr_at_risk, insufficient_data_arr, good_arr_share,
    mean_health_score, arr_weighted_health_score
"""


def company_days(start: dt.date, end: dt.date) -> pd.DataFrame:
    """Company-wide figures per day: the `all` segment of fct_segment_health_daily."""
    if data.has_table("fct_segment_health_daily"):
        frame = data.query(
            f"select {SEGMENT_COLUMNS} from marts.fct_segment_health_daily "
            "where segment_dimension = 'all' and as_of_date between ? and ? order by as_of_date",
            [start, end],
        )
        if not frame.empty:
            return frame
    # Publications from before the `all` segment existed: one filtered day range of the
    # account mart, aggregated by DuckDB (still no aggregation in the app).
    return data.query(
        """
        select
            as_of_date,
            count(*) as account_count,
            count(*) filter (where health_band = 'good') as good_accounts,
            count(*) filter (where health_band = 'average') as average_accounts,
            count(*) filter (where health_band = 'poor') as poor_accounts,
            count(*) filter (where health_band = 'insufficient_data') as insufficient_data_accounts,
            sum(arr) as arr,
            sum(arr) filter (where health_band = 'good') as good_arr,
            sum(arr) filter (where health_band = 'average') as average_arr,
            coalesce(sum(arr) filter (where health_band = 'poor'), 0) as arr_at_risk,
            sum(arr) filter (where health_band = 'insufficient_data') as insufficient_data_arr,
            sum(arr) filter (where health_band = 'good') / nullif(sum(arr), 0) as good_arr_share,
            avg(health_score) as mean_health_score,
            sum(arr * health_score) filter (where health_score is not null)
                / nullif(sum(arr) filter (where health_score is not null), 0) as arr_weighted_health_score
        from marts.fct_account_health_daily
        where as_of_date between ? and ?
        group by as_of_date
        order by as_of_date
        """,
        [start, end],
    )


def band_frame(row: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "band": charts.BANDS,
            "accounts": [int(row[f"{b}_accounts"] or 0) for b in charts.BANDS],
            "arr": [
                float(
                    row["arr_at_risk"]
                    if b == "poor"
                    else (row[f"{b}_arr"] if not ui.is_missing(row[f"{b}_arr"]) else 0)
                )
                for b in charts.BANDS
            ],
        }
    )


def top_accounts_at_risk(day: dt.date, limit: int = 10) -> pd.DataFrame:
    frame = data.query(
        """
        select account_id, health_score, score_change_30d, arr, lifecycle_stage, top_reasons
        from marts.fct_account_health_daily
        where as_of_date = ? and health_band = 'poor'
        order by arr desc nulls last, account_id
        limit ?
        """,
        [day, limit],
    )
    names = data.account_names(frame["account_id"].tolist())
    return frame.assign(
        account=frame["account_id"].map(names), link="./account?account_id=" + frame["account_id"]
    )


day = ui.as_of()
st.title("Customer health overview")
st.caption(f"As of {day:%A %d %B %Y} · every customer account scored on the day")
ui.partial_day_notice(day)

history = company_days(ui.trend_start(day) - dt.timedelta(days=30), day)
today = history[history["as_of_date"].dt.date == day]
if today.empty:
    st.warning(f"No health scores for {day:%Y-%m-%d} in this publication. Pick another day in the sidebar.")
    st.stop()
now = today.iloc[0]
before = history[history["as_of_date"].dt.date == day - dt.timedelta(days=30)]
then = before.iloc[0] if not before.empty else None


def change(column: str) -> float | None:
    return None if then is None or ui.is_missing(then[column]) else float(now[column]) - float(then[column])


kpis = st.columns(5)
kpis[0].metric("Customer accounts", f"{int(now['account_count']):,}", ui.signed(change("account_count"), 0))
kpis[1].metric("ARR", ui.money(now["arr"]), None if change("arr") is None else ui.money(change("arr")))
kpis[2].metric(
    "ARR at risk (poor health)",
    ui.money(now["arr_at_risk"]),
    None if change("arr_at_risk") is None else ui.money(change("arr_at_risk")),
    delta_color="inverse",
    help="ARR of accounts whose health band is poor. Change against 30 days earlier.",
)
kpis[3].metric(
    "ARR-weighted health score",
    ui.score(now["arr_weighted_health_score"]),
    ui.signed(change("arr_weighted_health_score")),
    help=f"Mean health score (unweighted): {ui.score(now['mean_health_score'])}",
)
kpis[4].metric(
    "ARR in good health",
    ui.percent(now["good_arr_share"]),
    None if change("good_arr_share") is None else ui.signed(change("good_arr_share") * 100, 1, " pts"),
)

st.subheader("Band distribution")
bands = band_frame(now)
summary = " · ".join(
    f"{charts.BAND_LABELS[b]} {n:,}" for b, n in zip(bands["band"], bands["accounts"], strict=True)
)
st.caption(f"Accounts by health band on {day:%Y-%m-%d}: {summary}")
left, right = st.columns(2)
left.altair_chart(charts.band_bars(bands, "accounts", "Accounts by band", "Accounts", ",d"), width="stretch")
right.altair_chart(charts.band_bars(bands, "arr", "ARR by band", "ARR (USD)", "$.3~s"), width="stretch")

st.subheader(f"Last {ui.TREND_DAYS} days")
trend = history[history["as_of_date"].dt.date >= ui.trend_start(day)]
if trend["as_of_date"].min().date() > ui.trend_start(day):
    st.caption(f"The published history starts on {trend['as_of_date'].min():%Y-%m-%d}.")
counts = trend.melt(
    id_vars="as_of_date",
    value_vars=[f"{b}_accounts" for b in charts.BANDS],
    var_name="band",
    value_name="accounts",
).assign(band=lambda f: f["band"].str.removesuffix("_accounts"))
left, right = st.columns(2)
left.altair_chart(
    charts.band_trend(counts, "accounts", "Accounts by band", "Accounts", ",d"), width="stretch"
)
risk = trend[["as_of_date", "arr_at_risk"]]
right.altair_chart(
    charts.line(risk, "arr_at_risk", "ARR at risk", "ARR (USD)", "$.3~s").mark_area(
        line={"color": charts.BAND_COLORS["poor"]}, color=charts.BAND_COLORS["poor"], opacity=0.35
    ),
    width="stretch",
)
scores = trend.melt(
    id_vars="as_of_date",
    value_vars=["arr_weighted_health_score", "mean_health_score"],
    var_name="measure",
    value_name="score",
).assign(
    measure=lambda f: f["measure"].map(
        {"arr_weighted_health_score": "ARR-weighted", "mean_health_score": "Mean"}
    )
)
score_chart = charts.line(
    scores, "score", "Health score", "Score (0-100)", ".1f", color="measure", color_title="Score", zero=False
)
st.altair_chart(score_chart, width="stretch")

st.subheader("Largest accounts in poor health")
at_risk = top_accounts_at_risk(day)
if at_risk.empty:
    st.success("No account is in poor health on this day.")
else:
    bars = (
        alt.Chart(at_risk, title="ARR of the largest accounts in poor health")
        .mark_bar(color=charts.BAND_COLORS["poor"])
        .encode(
            y=alt.Y("account:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
            x=alt.X("arr:Q", title="ARR (USD)", axis=alt.Axis(format="$.3~s")),
            tooltip=[
                alt.Tooltip("account:N", title="Account"),
                alt.Tooltip("arr:Q", title="ARR", format="$,.0f"),
                alt.Tooltip("health_score:Q", title="Score", format=".1f"),
                alt.Tooltip("score_change_30d:Q", title="30-day change", format="+.1f"),
            ],
        )
        .properties(height=alt.Step(26))
    )
    st.altair_chart(bars, width="stretch")
    st.dataframe(
        at_risk[
            ["account", "health_score", "score_change_30d", "arr", "lifecycle_stage", "top_reasons", "link"]
        ],
        hide_index=True,
        column_config={
            "account": "Account",
            "health_score": st.column_config.NumberColumn("Score", format="%.1f"),
            "score_change_30d": st.column_config.NumberColumn("30-day change", format="%+.1f"),
            "arr": st.column_config.NumberColumn("ARR", format="dollar"),
            "lifecycle_stage": "Lifecycle",
            "top_reasons": st.column_config.TextColumn("Why (last 30 days)", width="large"),
            "link": st.column_config.LinkColumn("Open", display_text="account page"),
        },
    )
