"""Alerts: open alerts by severity and type, alerts opened per week, the alert list."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from health_dashboard import data, ui

SEVERITY_COLORS = {"high": "#c62828", "medium": "#f9a825", "low": "#90a4ae"}
WEEKS = 26

st.title("Alerts")
if not data.has_table("fct_health_alerts"):
    ui.optional_mart_missing("fct_health_alerts", "Alerting")
    st.stop()

day = ui.as_of()
ui.partial_day_notice(day)
# Alert state as of the picked day: opened by then, and not resolved by then.
summary = data.query(
    """
    select
        count(*) filter (where opened_on <= ? and (resolved_on is null or resolved_on > ?)) as open_alerts,
        count(*) filter (
            where opened_on <= ? and (resolved_on is null or resolved_on > ?) and severity = 'high'
        ) as open_high,
        count(*) filter (where opened_on between ? and ?) as opened_30d,
        count(*) filter (where resolved_on between ? and ?) as resolved_30d
    from marts.fct_health_alerts
    """,
    [day, day, day, day, day - dt.timedelta(days=29), day, day - dt.timedelta(days=29), day],
).iloc[0]
kpis = st.columns(4)
kpis[0].metric("Open alerts", f"{int(summary['open_alerts']):,}")
kpis[1].metric("Open, high severity", f"{int(summary['open_high']):,}")
kpis[2].metric("Opened in the last 30 days", f"{int(summary['opened_30d']):,}")
kpis[3].metric("Resolved in the last 30 days", f"{int(summary['resolved_30d']):,}")

weekly = data.query(
    """
    select date_trunc('week', opened_on) as week, alert_type, count(*) as alerts
    from marts.fct_health_alerts
    where opened_on between ? and ?
    group by all
    order by week
    """,
    [day - dt.timedelta(weeks=WEEKS), day],
)
open_now = data.query(
    """
    select alert_type, severity, count(*) as alerts
    from marts.fct_health_alerts
    where opened_on <= ? and (resolved_on is null or resolved_on > ?)
    group by all
    """,
    [day, day],
)
left, right = st.columns([3, 2])
left.altair_chart(
    alt.Chart(weekly, title=f"Alerts opened per week (last {WEEKS} weeks)")
    .mark_bar()
    .encode(
        x=alt.X("week:T", title=None),
        y=alt.Y("alerts:Q", stack="zero", title="Alerts"),
        color=alt.Color("alert_type:N", title="Type", legend=alt.Legend(orient="bottom", columns=3)),
        tooltip=[
            alt.Tooltip("week:T", title="Week of"),
            alt.Tooltip("alert_type:N", title="Type"),
            alt.Tooltip("alerts:Q", title="Alerts"),
        ],
    )
    .properties(height=280),
    width="stretch",
)
right.altair_chart(
    alt.Chart(open_now, title=f"Open on {day:%Y-%m-%d}")
    .mark_bar()
    .encode(
        y=alt.Y("alert_type:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("alerts:Q", stack="zero", title="Alerts"),
        color=alt.Color(
            "severity:N",
            scale=alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values())),
            legend=alt.Legend(orient="bottom", title="Severity"),
        ),
        tooltip=[
            alt.Tooltip("alert_type:N", title="Type"),
            alt.Tooltip("severity:N", title="Severity"),
            alt.Tooltip("alerts:Q", title="Alerts"),
        ],
    )
    .properties(height=alt.Step(26)),
    width="stretch",
)

st.subheader("Alert list")
types = data.query("select distinct alert_type from marts.fct_health_alerts order by 1")[
    "alert_type"
].tolist()
filters = st.columns([2, 2, 3])
status = filters[0].radio(
    "Status", ["Open", "Opened in the last 30 days", "All"], horizontal=True, key="alert_status"
)
severities = filters[1].multiselect(
    "Severity", list(SEVERITY_COLORS), default=["high", "medium"], key="alert_severity"
)
chosen_types = filters[2].multiselect("Type", types, default=types, key="alert_types")
conditions = ["severity in (select unnest(?))", "alert_type in (select unnest(?))", "opened_on <= ?"]
params: list[object] = [severities or list(SEVERITY_COLORS), chosen_types or types, day]
if status == "Open":
    conditions.append("(resolved_on is null or resolved_on > ?)")
    params.append(day)
elif status == "Opened in the last 30 days":
    conditions.append("opened_on >= ?")
    params.append(day - dt.timedelta(days=29))
alerts = data.query(
    f"""
    select alert_id, account_id, alert_type, severity, opened_on, resolved_on, details
    from marts.fct_health_alerts
    where {" and ".join(conditions)}
    order by case severity when 'high' then 0 when 'medium' then 1 else 2 end, opened_on desc, alert_id
    limit 2000
    """,
    params,
)
names = data.account_names(alerts["account_id"].tolist())
alerts = alerts.assign(
    account=alerts["account_id"].map(names),
    days_open=(alerts["resolved_on"].fillna(pd.Timestamp(day)) - alerts["opened_on"]).dt.days,
    link="./account?account_id=" + alerts["account_id"],
)
st.caption(f"{len(alerts):,} alerts{' (first 2,000)' if len(alerts) >= 2000 else ''}.")
st.dataframe(
    alerts[["account", "alert_type", "severity", "opened_on", "resolved_on", "days_open", "details", "link"]],
    hide_index=True,
    column_config={
        "account": "Account",
        "alert_type": "Type",
        "severity": "Severity",
        "opened_on": st.column_config.DateColumn("Opened"),
        "resolved_on": st.column_config.DateColumn("Resolved"),
        "days_open": st.column_config.NumberColumn("Days", format="%d"),
        "details": st.column_config.TextColumn("Details", width="large"),
        "link": st.column_config.LinkColumn("Open", display_text="account page"),
    },
)
