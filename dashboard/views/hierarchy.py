"""Hierarchy explorer: pick an enterprise, walk down its tree, both roll-up methods side by side,
the product modules under each node and each module across the enterprise."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from health_dashboard import charts, data, products, ui

PATH_KEY = "hierarchy_path"
ROOT_KEY = "hierarchy_root"
CHILD_KEY = "hierarchy_child"
METHODS = ["account_count", "contract_value"]
NODE_COLUMNS = """
    account_id, rollup_method, root_account_id, hierarchy_depth, subtree_account_count, member_count,
    total_weight, good_share, average_share, poor_share, health_score, worst_score, health_band,
    score_change_30d, top_reasons
"""


def roots(day: dt.date) -> pd.DataFrame:
    return data.query(
        """
        select account_id, subtree_account_count
        from marts.fct_hierarchy_health_daily
        where as_of_date = ? and rollup_method = 'account_count' and hierarchy_depth = 0
            and subtree_account_count > 1
        order by subtree_account_count desc, account_id
        """,
        [day],
    )


def nodes(day: dt.date, account_ids: list[str]) -> pd.DataFrame:
    if not account_ids:
        return pd.DataFrame()
    return data.query(
        f"select {NODE_COLUMNS} from marts.fct_hierarchy_health_daily "
        "where as_of_date = ? and account_id in (select unnest(?))",
        [day, account_ids],
    )


def children(account_id: str) -> list[str] | None:
    """Direct children by the roll-up links of dim_account (None when it is not published)."""
    if not data.has_table("dim_account"):
        return None
    frame = data.query(
        "select account_id from marts.dim_account where parent_account_id = ? order by account_id",
        [account_id],
    )
    return frame["account_id"].tolist()


def tree_members(day: dt.date, root_id: str) -> pd.DataFrame:
    """Every node of one tree on the day (fallback without parent links)."""
    return data.query(
        f"select {NODE_COLUMNS} from marts.fct_hierarchy_health_daily "
        "where as_of_date = ? and root_account_id = ? and rollup_method = 'account_count' "
        "order by hierarchy_depth, account_id",
        [day, root_id],
    )


def open_path(day: dt.date, account_id: str) -> list[str]:
    """Root-to-account path of an account (dim_account's hierarchy_path when published)."""
    if data.has_table("dim_account"):
        frame = data.query("select hierarchy_path from marts.dim_account where account_id = ?", [account_id])
        if not frame.empty and not ui.is_missing(frame.iloc[0]["hierarchy_path"]):
            return str(frame.iloc[0]["hierarchy_path"]).split(">")
    frame = nodes(day, [account_id])
    if frame.empty:
        return []
    root = str(frame.iloc[0]["root_account_id"])
    return [root] if root == account_id else [root, account_id]


def set_root() -> None:
    st.session_state[PATH_KEY] = [st.session_state[ROOT_KEY]]


def go_to(depth: int) -> None:
    st.session_state[PATH_KEY] = st.session_state[PATH_KEY][: depth + 1]


def walk_down() -> None:
    child = st.session_state.get(CHILD_KEY)
    if child:
        st.session_state[PATH_KEY] = [*st.session_state[PATH_KEY], child]
    st.session_state[CHILD_KEY] = None


def method_panel(column: st.delta_generator.DeltaGenerator, row: pd.Series | None, method: str) -> None:
    with column.container(border=True):
        st.markdown(f"**{charts.METHOD_LABELS[method]}**")
        if row is None:
            st.caption("No roll-up row for this node on the day.")
            return
        st.markdown(ui.band_badge(row["health_band"]))
        top = st.columns(3)
        top[0].metric("Health score", ui.score(row["health_score"]), ui.signed(row["score_change_30d"]))
        top[1].metric("Worst member", ui.score(row["worst_score"]))
        if method == "account_count":
            top[2].metric(
                "Members", f"{int(row['member_count'])}", help="Accounts of the subtree with a band."
            )
        else:
            top[2].metric(
                "Members' ARR",
                ui.money(row["total_weight"]),
                help=f"{int(row['member_count'])} members weighted by ARR.",
            )
        shares = pd.DataFrame(
            {
                "band": ["good", "average", "poor"],
                "share": [
                    0.0 if ui.is_missing(row[f"{b}_share"]) else float(row[f"{b}_share"])
                    for b in ("good", "average", "poor")
                ],
            }
        )
        if shares["share"].sum() > 0:
            st.altair_chart(charts.share_bar(shares, "Weight by band"), width="stretch")
            st.caption(
                " · ".join(
                    f"{charts.BAND_LABELS[b]} {s:.0%}"
                    for b, s in zip(shares["band"], shares["share"], strict=True)
                )
            )
        st.markdown("**Why it moved (30 days)**")
        st.markdown(ui.reasons_markdown(row["top_reasons"]))


st.title("Hierarchy explorer")
if not data.has_table("fct_hierarchy_health_daily"):
    ui.optional_mart_missing("fct_hierarchy_health_daily", "The enterprise hierarchy roll-up")
    st.stop()

day = ui.as_of()
ui.partial_day_notice(day)
parents = roots(day)
if parents.empty:
    st.info(f"No enterprise with more than one account on {day:%Y-%m-%d}.")
    st.stop()
names = data.account_names(parents["account_id"].tolist())
sizes = dict(zip(parents["account_id"], parents["subtree_account_count"], strict=True))
root_ids = parents["account_id"].tolist()

requested = st.query_params.get("account_id")
if requested and st.session_state.get("hierarchy_requested") != requested:
    # Opened from a link (?account_id=...): start at that account, once.
    st.session_state["hierarchy_requested"] = requested
    requested_path = open_path(day, requested)
    if requested_path and requested_path[0] in root_ids:
        st.session_state[ROOT_KEY] = requested_path[0]
        st.session_state[PATH_KEY] = requested_path
if st.session_state.get(ROOT_KEY) not in root_ids:
    st.session_state[ROOT_KEY] = root_ids[0]
path = st.session_state.get(PATH_KEY) or []
if not path or path[0] != st.session_state[ROOT_KEY]:
    st.session_state[PATH_KEY] = [st.session_state[ROOT_KEY]]

st.selectbox(
    "Enterprise (top-level parent)",
    root_ids,
    format_func=lambda a: f"{names.get(a, a)} — {int(sizes[a])} accounts",
    key=ROOT_KEY,
    on_change=set_root,
)
path = st.session_state[PATH_KEY]
path_names = data.account_names(path)

with st.container(horizontal=True, vertical_alignment="center", gap="small"):
    for index, crumb_id in enumerate(path):
        st.button(
            ("› " if index else "") + path_names.get(crumb_id, crumb_id),
            icon=":material/account_tree:" if index == 0 else None,
            key=f"crumb_{index}",
            on_click=go_to,
            args=(index,),
            disabled=index == len(path) - 1,
            type="tertiary" if index < len(path) - 1 else "secondary",
        )

node_id = path[-1]
node_rows = nodes(day, [node_id])
by_method = {r["rollup_method"]: r for _, r in node_rows.iterrows()}
st.subheader(path_names.get(node_id, node_id))
if node_rows.empty:
    st.warning("This account is not in the day's hierarchy (it may have been moved or deleted).")
    st.stop()
first = node_rows.iloc[0]
st.caption(
    f"Depth {int(first['hierarchy_depth'])} · {int(first['subtree_account_count'])} accounts in its subtree "
    f"(itself included) · as of {day:%Y-%m-%d} · [account page](./account?account_id={node_id})"
)
left, right = st.columns(2)
method_panel(left, by_method.get("account_count"), "account_count")
method_panel(right, by_method.get("contract_value"), "contract_value")

trend = data.query(
    """
    select as_of_date, rollup_method, health_score
    from marts.fct_hierarchy_health_daily
    where account_id = ? and as_of_date between ? and ?
    order by as_of_date
    """,
    [node_id, ui.trend_start(day), day],
)
trend = trend.assign(method=trend["rollup_method"].map(charts.METHOD_LABELS))
st.altair_chart(
    charts.line(
        trend,
        "health_score",
        f"Subtree health score, last {ui.TREND_DAYS} days",
        "Score",
        ".1f",
        color="method",
        color_title="Roll-up",
        zero=False,
        color_scale=charts.method_scale(),
    ),
    width="stretch",
)

if data.has_table(products.MART):
    products.products_under_node(day, node_id, path_names.get(node_id, node_id))
    root_id = str(first["root_account_id"])
    products.product_across_enterprise(day, root_id, data.account_names([root_id]).get(root_id, root_id))
else:
    ui.optional_mart_missing(products.MART, "Product-level health")

child_ids = children(node_id)
if child_ids is None:
    st.info(
        "Parent links come from `marts.dim_account`, which is not in this publication: showing every "
        "account of the tree by depth instead of the direct children."
    )
    members = tree_members(day, str(first["root_account_id"]))
    members = members.assign(
        account=members["account_id"].map(data.account_names(members["account_id"].tolist()))
    )
    st.dataframe(
        members[
            [
                "account",
                "hierarchy_depth",
                "subtree_account_count",
                "health_score",
                "health_band",
                "top_reasons",
            ]
        ],
        hide_index=True,
    )
    st.stop()

st.subheader("Children")
if not child_ids:
    st.caption("This account has no children: it is a leaf of the tree.")
    st.stop()
rows = nodes(day, child_ids)
child_names = data.account_names(child_ids)
parent_name = path_names.get(node_id, node_id)


def short(name: str) -> str:
    """A child's name without its parent's name in front (departments repeat it)."""
    if name.startswith(parent_name) and len(name) > len(parent_name) + 1:
        return "… " + name[len(parent_name) :].lstrip(" -/")
    return name


wide = (
    rows.pivot_table(
        index="account_id",
        columns="rollup_method",
        values=["health_score", "score_change_30d", "worst_score"],
        aggfunc="first",
    )
    if not rows.empty
    else pd.DataFrame()
)
table = pd.DataFrame({"account_id": child_ids})
table["account"] = table["account_id"].map(child_names).map(short)
info = (
    rows[rows["rollup_method"] == "account_count"].set_index("account_id")
    if not rows.empty
    else pd.DataFrame()
)
for method in METHODS:
    band = (
        rows[rows["rollup_method"] == method].set_index("account_id")["health_band"]
        if not rows.empty
        else None
    )
    table[f"band_{method}"] = table["account_id"].map(band) if band is not None else None
    for measure in ("health_score", "score_change_30d"):
        column = (measure, method)
        table[f"{measure}_{method}"] = (
            table["account_id"].map(wide[column]) if column in wide.columns else None
        )
table["subtree_account_count"] = (
    table["account_id"].map(info["subtree_account_count"]) if not info.empty else None
)
table["top_reasons"] = (
    table["account_id"].map(
        rows[rows["rollup_method"] == "contract_value"].set_index("account_id")["top_reasons"]
    )
    if not rows.empty
    else None
)
table = table.sort_values("health_score_contract_value", na_position="last", kind="stable")

long = rows.assign(
    account=rows["account_id"].map(child_names).map(short),
    method=rows["rollup_method"].map(charts.METHOD_LABELS),
)
child_chart = (
    alt.Chart(long, title="Children: subtree health score by roll-up method")
    .mark_bar()
    .encode(
        y=alt.Y(
            "account:N",
            sort=table["account"].tolist(),
            title=None,
            axis=alt.Axis(labelOverlap=False, labelLimit=240),
        ),
        yOffset=alt.YOffset("method:N"),
        x=alt.X("health_score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color(
            "method:N",
            scale=charts.method_scale(),
            legend=alt.Legend(title="Roll-up", orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("account:N", title="Account"),
            alt.Tooltip("method:N", title="Roll-up"),
            alt.Tooltip("health_score:Q", title="Score", format=".1f"),
            alt.Tooltip("health_band:N", title="Band"),
            alt.Tooltip("member_count:Q", title="Members"),
        ],
    )
    .properties(height=alt.Step(16))
)
st.altair_chart(child_chart, width="stretch")
st.dataframe(
    table,
    hide_index=True,
    column_order=[
        "account",
        "subtree_account_count",
        "health_score_account_count",
        "band_account_count",
        "health_score_contract_value",
        "band_contract_value",
        "score_change_30d_contract_value",
        "top_reasons",
    ],
    column_config={
        "account": "Child account",
        "subtree_account_count": st.column_config.NumberColumn("Accounts below", format="%d"),
        "health_score_account_count": st.column_config.NumberColumn("Score by count", format="%.1f"),
        "band_account_count": "Band by count",
        "health_score_contract_value": st.column_config.NumberColumn("Score by ARR", format="%.1f"),
        "band_contract_value": "Band by ARR",
        "score_change_30d_contract_value": st.column_config.NumberColumn("Δ30d by ARR", format="%+.1f"),
        "top_reasons": st.column_config.TextColumn("Why (by ARR)", width="large"),
    },
)
arr_scores = table.set_index("account_id")["health_score_contract_value"].to_dict()
st.selectbox(
    "Walk down to",
    child_ids,
    index=None,
    placeholder="Pick a child to open its subtree",
    format_func=lambda a: f"{child_names.get(a, a)} — {ui.score(arr_scores.get(a))} by ARR",
    key=CHILD_KEY,
    on_change=walk_down,
)
