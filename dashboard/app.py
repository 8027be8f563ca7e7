"""Executive customer-health dashboard (Streamlit).

    streamlit run dashboard/app.py        (or: make dashboard)

Reads only the published, read-only serving copy of the health marts (see
health_dashboard/data.py: $HEALTH_SERVING_PATH, else the current publication of
customer_health.serving). Every page reads pre-aggregated marts; nothing heavy is
computed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder on sys.path, AppTest and other runners may not.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from health_dashboard import data, ui  # noqa: E402

st.set_page_config(page_title="Customer health", page_icon=":material/monitor_heart:", layout="wide")

pages = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/segments.py", title="Segments", icon=":material/segment:"),
    st.Page("views/hierarchy.py", title="Hierarchy explorer", icon=":material/account_tree:"),
    st.Page("views/quadrant.py", title="Relationship × impact", icon=":material/grid_view:"),
    st.Page("views/account.py", title="Account", icon=":material/person_search:"),
    st.Page("views/alerts.py", title="Alerts", icon=":material/notifications:"),
    st.Page("views/definition_quality.py", title="Definition quality", icon=":material/query_stats:"),
]
navigation = st.navigation(pages)

try:
    span = data.as_of_range()
except data.ServingCopyMissing as missing:
    st.error(str(missing), icon=":material/error:")
    st.stop()

if span is None:
    st.error(
        "The serving copy has no health scores yet (marts.fct_account_health_daily is missing or empty)."
    )
    st.stop()

first_day, last_day = span
with st.sidebar:
    current = st.session_state.get(ui.AS_OF_KEY)
    if current is None or not (first_day <= current <= last_day):
        st.session_state[ui.AS_OF_KEY] = last_day
    st.date_input("As of", min_value=first_day, max_value=last_day, key=ui.AS_OF_KEY, format="YYYY-MM-DD")
    info = data.publication_info()
    caption = [f"Scored days: {first_day:%Y-%m-%d} – {last_day:%Y-%m-%d}"]
    latest = data.live_day(last_day)
    if latest.is_partial and latest.computed_at is not None:
        caption.append(f"{last_day:%Y-%m-%d} is partial: computed {latest.computed_at:%H:%M} UTC")
    if info:
        caption.append(f"Published: {str(info.get('published_at', ''))[:16]} UTC")
        if info.get("definition_version"):
            caption.append(f"Definition: `{str(info['definition_version'])[:12]}`")
    st.caption("  \n".join(caption))

navigation.run()
