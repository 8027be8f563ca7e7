"""Definition quality: does the health score predict churn, per definition_version, over time?

AUC over time (fct_health_backtest_auc_quarterly), churn rate per band N days before the
outcome (fct_health_backtest) and the latest calibration report (published beside the
serving copy by health_calibration_job; docs/calibration.md).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from health_dashboard import data, ui

BAND_ORDER = ["good", "average", "poor", "insufficient_data"]

st.title("Definition quality")
st.caption(
    "How well each health definition predicted churn at renewal points, scored N days before "
    "them: ROC AUC 0.5 is a coin toss, 1.0 a perfect ranking. Adopting a calibrated definition "
    "is a reviewed change of the seeds (docs/calibration.md)."
)
if not data.has_table("fct_health_backtest"):
    ui.optional_mart_missing("fct_health_backtest", "The back-test")
    st.stop()

horizons = data.query("select distinct horizon_days from marts.fct_health_backtest order by 1")[
    "horizon_days"
]
horizon = st.segmented_control(
    "Days before the outcome", options=[int(h) for h in horizons], default=90 if 90 in set(horizons) else None
) or int(horizons.iloc[0])

if data.has_table("fct_health_backtest_auc_quarterly"):
    auc = data.query(
        """
        select definition_version, outcome_quarter, churn_auc, churned_count, retained_count
        from marts.fct_health_backtest_auc_quarterly
        where horizon_days = ? and churn_auc is not null
        order by outcome_quarter
        """,
        [horizon],
    )
    auc["definition"] = auc["definition_version"].astype(str).str[:12]
    st.altair_chart(
        alt.Chart(auc, title=f"Churn AUC {horizon} days ahead, per quarter of the outcomes")
        .mark_line(point=True)
        .encode(
            x=alt.X("outcome_quarter:T", title=None),
            y=alt.Y("churn_auc:Q", title="ROC AUC", scale=alt.Scale(domain=[0.3, 1.0])),
            color=alt.Color("definition:N", title="definition_version"),
            tooltip=[
                alt.Tooltip("outcome_quarter:T", title="Quarter"),
                alt.Tooltip("definition:N", title="Definition"),
                alt.Tooltip("churn_auc:Q", title="AUC", format=".3f"),
                alt.Tooltip("churned_count:Q", title="Churned"),
                alt.Tooltip("retained_count:Q", title="Retained"),
            ],
        )
        .properties(height=280),
        width="stretch",
    )
else:
    ui.optional_mart_missing("fct_health_backtest_auc_quarterly", "AUC over time")

bands = data.query(
    """
    select definition_version, health_band, count(*) as renewal_points,
        avg(case when is_churned then 1.0 else 0.0 end) as churn_rate,
        avg(case when is_contracted then 1.0 else 0.0 end) as contraction_rate
    from marts.fct_health_backtest
    where horizon_days = ? and has_score and is_renewal_point
    group by all
    """,
    [horizon],
)
bands["definition"] = bands["definition_version"].astype(str).str[:12]
st.altair_chart(
    alt.Chart(bands, title=f"Churn rate by band {horizon} days before the renewal point")
    .mark_bar()
    .encode(
        x=alt.X("health_band:N", sort=BAND_ORDER, title=None),
        xOffset="definition:N",
        y=alt.Y("churn_rate:Q", title="Churn rate", axis=alt.Axis(format="%")),
        color=alt.Color("definition:N", title="definition_version"),
        tooltip=[
            alt.Tooltip("definition:N", title="Definition"),
            alt.Tooltip("health_band:N", title="Band"),
            alt.Tooltip("renewal_points:Q", title="Renewal points"),
            alt.Tooltip("churn_rate:Q", title="Churn rate", format=".1%"),
            alt.Tooltip("contraction_rate:Q", title="Contraction rate", format=".1%"),
        ],
    )
    .properties(height=280),
    width="stretch",
)

st.subheader("Latest calibration")
latest = data.latest_calibration()
if latest is None:
    st.info(
        "No calibration report published yet: run `health_calibration_job` in Dagster (or its "
        "monthly schedule), or `python -m customer_health.calibrate` (docs/calibration.md).",
        icon=":material/info:",
    )
    st.stop()
report, markdown = latest
if report.get("status") != "ok":
    st.warning(report.get("message", "Calibration refused."), icon=":material/warning:")
    st.stop()
main = next(
    (
        r
        for r in report["held_out_evaluation"]["auc"]
        if r["horizon_days"] == report["settings"]["horizon_days"]
    ),
    None,
)
if main:
    cols = st.columns(4)
    cols[0].metric("Current AUC (held out)", ui.score(main["current_auc"], 3))
    cols[1].metric(
        "Candidate AUC (held out)",
        ui.score(main["candidate_auc"], 3),
        ui.signed((main["candidate_auc"] or 0) - (main["current_auc"] or 0), 3),
    )
    model = report.get("churn_risk_model") or {}
    cols[2].metric("Churn-risk model AUC", ui.score(model.get("auc"), 3))
    cols[3].metric("Held-out renewal points", f"{main['churned']} churned / {main['retained']} retained")
    st.markdown(f"**{report['recommendation']['text']}**")
with st.expander("The whole report (report.md)"):
    st.markdown(markdown)
changes = pd.DataFrame(report.get("changes", []))
if not changes.empty:
    st.dataframe(changes, hide_index=True, width="stretch")
