"""Account: pillar and indicator breakdown, reasons, CSM override and relationship x impact play,
product modules, alerts, score history with definition changes."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from health_dashboard import charts, data, panels, ui

ACCOUNT_KEY = "account_id"
SEARCH_KEY = "account_search"
MAX_OPTIONS = 200
PILLARS = ["engagement", "outcomes", "relationship", "strategic"]


def candidates(day: dt.date, search: str) -> pd.DataFrame:
    """Accounts scored on the day matching the search (worst bands and largest ARR first)."""
    pattern = f"%{search.strip()}%"
    if data.has_table("dim_account"):
        sql = """
            select health.account_id, coalesce(accounts.account_name, health.account_id) as account_name,
                health.health_band, health.health_score, health.arr
            from marts.fct_account_health_daily as health
            left join marts.dim_account as accounts on health.account_id = accounts.account_id
            where health.as_of_date = ?
                and (health.account_id ilike ? or accounts.account_name ilike ?)
        """
        params: list[object] = [day, pattern, pattern]
    else:
        sql = """
            select account_id, account_id as account_name, health_band, health_score, arr
            from marts.fct_account_health_daily
            where as_of_date = ? and account_id ilike ?
        """
        params = [day, pattern]
    order = """
        order by
            case health_band when 'poor' then 0 when 'average' then 1 when 'insufficient_data' then 2 end,
            arr desc nulls last,
            account_id
        limit ?
    """
    return data.query(f"select * from ({sql}) as matches {order}", [*params, MAX_OPTIONS])


def label(row: pd.Series) -> str:
    band = str(row["health_band"]).replace("_", " ")
    return f"{row['account_name']} · {band} {ui.score(row['health_score'], 0)}"


st.title("Account")
day = ui.as_of()
ui.partial_day_notice(day)
requested = st.query_params.get("account_id")
search = st.text_input("Search by account name or id", key=SEARCH_KEY, placeholder="e.g. Acme")
options = candidates(day, search or "")
if requested and requested not in set(options["account_id"]):
    extra = data.query(
        "select account_id, account_id as account_name, health_band, health_score, arr "
        "from marts.fct_account_health_daily where as_of_date = ? and account_id = ?",
        [day, requested],
    )
    if not extra.empty:
        extra = extra.assign(account_name=extra["account_id"].map(data.account_names([requested])))
        options = pd.concat([extra, options], ignore_index=True)
if options.empty:
    st.info("No scored account matches on this day.")
    st.stop()
labels = {row["account_id"]: label(row) for _, row in options.iterrows()}
ids = list(labels)
if requested in labels and st.session_state.get("account_requested") != requested:
    st.session_state["account_requested"] = requested
    st.session_state[ACCOUNT_KEY] = requested
if st.session_state.get(ACCOUNT_KEY) not in labels:
    st.session_state[ACCOUNT_KEY] = ids[0]
account_id = st.selectbox(
    f"Account ({len(ids)}{'+' if len(ids) >= MAX_OPTIONS else ''} shown; poor health first)",
    ids,
    format_func=labels.get,
    key=ACCOUNT_KEY,
)

health = data.query(
    "select * from marts.fct_account_health_daily where account_id = ? and as_of_date = ?", [account_id, day]
)
if health.empty:
    st.warning(f"{account_id} was not scored on {day:%Y-%m-%d}.")
    st.stop()
row = health.iloc[0]
name = data.account_names([account_id]).get(account_id, account_id)
st.header(name)
facts = [
    f"`{account_id}`",
    f"profile **{row['health_profile_id']}**",
    f"lifecycle **{row['lifecycle_stage']}**",
]
if data.has_table("dim_account"):
    dim = data.query(
        "select customer_tier, region, industry, owner_user_id, parent_account_id, root_account_id, "
        "hierarchy_depth from marts.dim_account where account_id = ?",
        [account_id],
    )
    if not dim.empty:
        d = dim.iloc[0]
        facts += [
            f"{d['customer_tier'] or 'no tier'}",
            f"{d['region'] or 'no region'}",
            f"{d['industry'] or ''}",
        ]
        facts.append(f"CSM `{d['owner_user_id']}`")
        if not ui.is_missing(d["parent_account_id"]):
            root = str(d["root_account_id"])
            facts.append(
                f"part of [{data.account_names([root]).get(root, root)}](./hierarchy?account_id={account_id})"
            )
st.markdown(" · ".join(f for f in facts if f))

kpis = st.columns(5)
kpis[0].metric(
    "Health score", ui.score(row["health_score"]), ui.signed(row["score_change_30d"]), help="Change: 30 days"
)
kpis[1].metric("Band", str(row["health_band"]).replace("_", " "))
kpis[2].metric("ARR", ui.money(row["arr"]))
kpis[3].metric("Data coverage", ui.percent(row["coverage"], 0))
kpis[4].metric("Definition", str(row["definition_version"])[:8], help=str(row["definition_version"]))
st.markdown(ui.band_badge(row["health_band"]))

side_left, side_right = st.columns(2)
with side_left:
    panels.override_panel(row, account_id)
    panels.override_history(account_id)
with side_right:
    panels.quadrant_panel(row)

left, right = st.columns([2, 3])
with left:
    st.subheader("Why it moved (30 days)")
    st.markdown(ui.reasons_markdown(row["top_reasons"]))
    pillars = pd.DataFrame({"pillar": PILLARS, "score": [row.get(f"{p}_score") for p in PILLARS]}).dropna(
        subset=["score"]
    )
    st.altair_chart(
        alt.Chart(pillars, title="Pillar scores")
        .mark_bar()
        .encode(
            y=alt.Y("pillar:N", sort=PILLARS, title=None, axis=alt.Axis(labelOverlap=False)),
            x=alt.X("score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "score:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 100]), legend=None
            ),
            tooltip=[
                alt.Tooltip("pillar:N", title="Pillar"),
                alt.Tooltip("score:Q", title="Score", format=".1f"),
            ],
        )
        .properties(height=alt.Step(30)),
        width="stretch",
    )
with right:
    st.subheader("Indicators")
    indicators = pd.DataFrame()
    if data.has_table("fct_indicator_scores_daily"):
        indicators = data.query(
            """
            select
                indicator_id, pillar, raw_value, indicator_score, nominal_weight, effective_weight, is_missing
            from marts.fct_indicator_scores_daily
            where account_id = ? and as_of_date = ?
            order by pillar, effective_weight desc, indicator_id
            """,
            [account_id, day],
        )
    if indicators.empty:
        st.caption("No indicator rows for this account and day.")
    else:
        indicators = indicators.assign(
            status=indicators["is_missing"].map({True: "no data", False: "measured"}),
            contribution=indicators["effective_weight"] * indicators["indicator_score"].fillna(0),
        )
        st.altair_chart(
            alt.Chart(indicators, title="Indicator scores (bar height: share of the score)")
            .mark_bar()
            .encode(
                y=alt.Y(
                    "indicator_id:N",
                    sort=indicators["indicator_id"].tolist(),
                    title=None,
                    axis=alt.Axis(labelOverlap=False, labelLimit=200),
                ),
                x=alt.X("indicator_score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
                color=alt.Color("pillar:N", title="Pillar", sort=PILLARS, legend=alt.Legend(orient="bottom")),
                opacity=alt.condition("datum.is_missing", alt.value(0.35), alt.value(1.0)),
                tooltip=[
                    alt.Tooltip("indicator_id:N", title="Indicator"),
                    alt.Tooltip("pillar:N", title="Pillar"),
                    alt.Tooltip("raw_value:Q", title="Raw value", format=",.3~f"),
                    alt.Tooltip("indicator_score:Q", title="Score", format=".1f"),
                    alt.Tooltip("effective_weight:Q", title="Weight in score", format=".1%"),
                    alt.Tooltip("status:N", title="Data"),
                ],
            )
            .properties(height=alt.Step(24)),
            width="stretch",
        )
        st.dataframe(
            indicators[
                [
                    "indicator_id",
                    "pillar",
                    "raw_value",
                    "indicator_score",
                    "effective_weight",
                    "nominal_weight",
                    "status",
                ]
            ],
            hide_index=True,
            column_config={
                "indicator_id": "Indicator",
                "pillar": "Pillar",
                "raw_value": st.column_config.NumberColumn("Raw value", format="%.3g"),
                "indicator_score": st.column_config.NumberColumn("Score", format="%.1f"),
                "effective_weight": st.column_config.NumberColumn("Weight", format="percent"),
                "nominal_weight": st.column_config.NumberColumn("Nominal weight", format="percent"),
                "status": "Data",
            },
        )

panels.product_table(account_id, day)

st.subheader("Score history")
history = data.query(
    """
    select as_of_date, health_score, health_band, definition_version,
        engagement_score, outcomes_score, relationship_score, strategic_score
    from marts.fct_account_health_daily
    where account_id = ?
    order by as_of_date
    """,
    [account_id],
)
history = history.assign(band_label=history["health_band"].map(charts.BAND_LABELS))
changes = history[
    history["definition_version"].ne(history["definition_version"].shift()) & history.index.to_series().gt(0)
]
base = alt.Chart(history).encode(x=alt.X("as_of_date:T", title=None, axis=alt.Axis(format="%b %d")))
score_line = base.mark_line(color="#455a64").encode(
    y=alt.Y("health_score:Q", title="Health score", scale=alt.Scale(domain=[0, 100]))
)
points = base.mark_circle(size=28).encode(
    y="health_score:Q",
    color=alt.Color(
        "band_label:N", scale=charts.band_scale(), legend=alt.Legend(title="Band", orient="bottom")
    ),
    tooltip=[
        alt.Tooltip("as_of_date:T", title="Day"),
        alt.Tooltip("health_score:Q", title="Score", format=".1f"),
        alt.Tooltip("band_label:N", title="Band"),
        alt.Tooltip("definition_version:N", title="Definition"),
    ],
)
layers: list[alt.Chart] = [score_line, points]
if not changes.empty:
    marks = changes.assign(label="definition " + changes["definition_version"].str[:8])
    layers.append(
        alt.Chart(marks)
        .mark_rule(color="#6a1b9a", strokeDash=[4, 3], size=2)
        .encode(
            x="as_of_date:T",
            tooltip=[
                alt.Tooltip("as_of_date:T", title="New definition from"),
                alt.Tooltip("definition_version:N"),
            ],
        )
    )
    layers.append(
        alt.Chart(marks)
        .mark_text(align="left", dx=4, dy=-6, color="#6a1b9a", fontSize=11)
        .encode(x="as_of_date:T", y=alt.value(12), text="label:N")
    )
st.altair_chart(alt.layer(*layers).properties(height=280, title="Health score by day"), width="stretch")
if changes.empty:
    st.caption(f"One health definition over the whole history (`{str(row['definition_version'])[:12]}`).")
else:
    st.caption(
        "Dashed lines mark a change of health definition (definition_version): scores on either side "
        "were produced by different definitions. "
        + "; ".join(
            f"{d:%Y-%m-%d} → `{v[:12]}`"
            for d, v in zip(changes["as_of_date"], changes["definition_version"], strict=True)
        )
    )

st.subheader("Alerts")
if not data.has_table("fct_health_alerts"):
    ui.optional_mart_missing("fct_health_alerts", "Alerts")
else:
    alerts = data.query(
        """
        select alert_type, severity, opened_on, resolved_on, details
        from marts.fct_health_alerts
        where account_id = ?
        order by resolved_on is not null, opened_on desc
        """,
        [account_id],
    )
    if alerts.empty:
        st.caption("No alert was ever opened for this account.")
    else:
        open_count = int(alerts["resolved_on"].isna().sum())
        st.caption(f"{open_count} open, {len(alerts) - open_count} resolved.")
        st.dataframe(
            alerts,
            hide_index=True,
            column_config={
                "alert_type": "Type",
                "severity": "Severity",
                "opened_on": st.column_config.DateColumn("Opened"),
                "resolved_on": st.column_config.DateColumn("Resolved"),
                "details": st.column_config.TextColumn("Details", width="large"),
            },
        )
