"""Product-level health in the hierarchy explorer: the modules under a node, and one module
across every node of an enterprise (fct_hierarchy_product_health_daily)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from health_dashboard import charts, data, ui

MART = "fct_hierarchy_product_health_daily"
PRODUCT_KEY = "hierarchy_product"
COLUMNS = """
    account_id, product_id, rollup_method, root_account_id, hierarchy_depth, member_count,
    total_weight, good_share, average_share, poor_share, health_score, worst_score, health_band
"""


def label(product_id: object) -> str:
    """'prod_analytics' -> 'Analytics' (billing ids carry no display name)."""
    text = str(product_id)
    return text.removeprefix("prod_").replace("_", " ").title() if text.startswith("prod_") else text


def node_rows(day: dt.date, account_ids: list[str]) -> pd.DataFrame:
    if not account_ids:
        return pd.DataFrame()
    return data.query(
        f"select {COLUMNS} from marts.{MART} where as_of_date = ? and account_id in (select unnest(?))",
        [day, account_ids],
    )


def tree_rows(day: dt.date, root_id: str, product_id: str) -> pd.DataFrame:
    return data.query(
        f"select {COLUMNS} from marts.{MART} "
        "where as_of_date = ? and root_account_id = ? and product_id = ? "
        "order by hierarchy_depth, account_id",
        [day, root_id, product_id],
    )


def tree_order(account_ids: list[str]) -> dict[str, str]:
    """Sort keys that list a tree depth-first, children under their parent (the root-to-node
    path of dim_account, by names); without dim_account, empty (the table keeps depth order)."""
    if not account_ids or not data.has_table("dim_account"):
        return {}
    paths = data.query(
        "select account_id, hierarchy_path from marts.dim_account where account_id in (select unnest(?))",
        [account_ids],
    )
    names = data.account_names(
        sorted({part for path in paths["hierarchy_path"].dropna() for part in str(path).split(">")})
    )
    return {
        account_id: " > ".join(names.get(part, part) for part in str(path).split(">"))
        for account_id, path in zip(paths["account_id"], paths["hierarchy_path"], strict=True)
        if not ui.is_missing(path)
    }


def wide(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per `key` with score, band and members by each roll-up method."""
    out = pd.DataFrame({key: sorted(rows[key].unique())}) if not rows.empty else pd.DataFrame({key: []})
    for method, suffix in (("account_count", "count"), ("contract_value", "arr")):
        part = rows[rows["rollup_method"] == method].set_index(key)
        for column in ("health_score", "health_band", "worst_score", "poor_share", "member_count"):
            out[f"{column}_{suffix}"] = out[key].map(part[column]) if not part.empty else None
        out[f"total_weight_{suffix}"] = out[key].map(part["total_weight"]) if not part.empty else None
    return out


def products_under_node(day: dt.date, node_id: str, node_name: str) -> None:
    """Each module licensed in the node's subtree: its health by both roll-up methods."""
    st.subheader("Products in this subtree")
    rows = node_rows(day, [node_id])
    if rows.empty:
        st.caption("No product module is licensed in this subtree on the day.")
        return
    table = wide(rows, "product_id")
    table["product"] = table["product_id"].map(label)
    table = table.sort_values("health_score_arr", na_position="last", kind="stable")
    long = rows.assign(
        product=rows["product_id"].map(label), method=rows["rollup_method"].map(charts.METHOD_LABELS)
    )
    chart = (
        alt.Chart(long, title=f"Module health across {node_name}'s subtree")
        .mark_bar()
        .encode(
            y=alt.Y(
                "product:N", sort=table["product"].tolist(), title=None, axis=alt.Axis(labelOverlap=False)
            ),
            yOffset=alt.YOffset("method:N"),
            x=alt.X("health_score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "method:N", scale=charts.method_scale(), legend=alt.Legend(title="Roll-up", orient="bottom")
            ),
            tooltip=[
                alt.Tooltip("product:N", title="Module"),
                alt.Tooltip("method:N", title="Roll-up"),
                alt.Tooltip("health_score:Q", title="Score", format=".1f"),
                alt.Tooltip("health_band:N", title="Band"),
                alt.Tooltip("member_count:Q", title="Accounts scored"),
                alt.Tooltip("worst_score:Q", title="Worst account", format=".1f"),
            ],
        )
        .properties(height=alt.Step(18))
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(
        table,
        hide_index=True,
        column_order=[
            "product",
            "member_count_count",
            "health_score_count",
            "health_band_count",
            "total_weight_arr",
            "health_score_arr",
            "health_band_arr",
            "poor_share_arr",
            "worst_score_arr",
        ],
        column_config={
            "product": "Module",
            "member_count_count": st.column_config.NumberColumn("Accounts scored", format="%d"),
            "health_score_count": st.column_config.NumberColumn("Score by count", format="%.1f"),
            "health_band_count": "Band by count",
            "total_weight_arr": st.column_config.NumberColumn("Module ARR", format="dollar"),
            "health_score_arr": st.column_config.NumberColumn("Score by ARR", format="%.1f"),
            "health_band_arr": "Band by ARR",
            "poor_share_arr": st.column_config.NumberColumn("Poor share of ARR", format="percent"),
            "worst_score_arr": st.column_config.NumberColumn("Worst account", format="%.1f"),
        },
    )


def product_across_enterprise(day: dt.date, root_id: str, root_name: str) -> None:
    """One module at every node of the enterprise tree (the root row: the whole enterprise)."""
    products = node_rows(day, [root_id])
    if products.empty:
        return
    product_ids = sorted(products["product_id"].unique(), key=label)
    requested = st.query_params.get("product_id")
    if requested in product_ids and st.session_state.get("hierarchy_product_requested") != requested:
        # Opened from a link (?product_id=...): start on that module, once.
        st.session_state["hierarchy_product_requested"] = requested
        st.session_state[PRODUCT_KEY] = requested
    if st.session_state.get(PRODUCT_KEY) not in product_ids:
        st.session_state[PRODUCT_KEY] = product_ids[0]
    st.subheader("A product across the enterprise")
    product_id = st.selectbox("Module", product_ids, format_func=label, key=PRODUCT_KEY)
    rows = tree_rows(day, root_id, product_id)
    table = wide(rows, "account_id")
    depth = rows[rows["rollup_method"] == "account_count"].set_index("account_id")["hierarchy_depth"]
    table["depth"] = table["account_id"].map(depth)
    names = data.account_names(table["account_id"].tolist())
    table["node"] = [
        "\u2003" * int(d if not ui.is_missing(d) else 0) + names.get(a, a)
        for a, d in zip(table["account_id"], table["depth"], strict=True)
    ]
    table["order"] = table["account_id"].map(tree_order(table["account_id"].tolist()))
    table = table.sort_values(["order", "depth", "account_id"], na_position="last", kind="stable")
    enterprise = table[table["account_id"] == root_id]
    if not enterprise.empty:
        row = enterprise.iloc[0]
        by_arr = f"{ui.band_badge(row['health_band_arr'])} {ui.score(row['health_score_arr'])} by ARR"
        by_count = f"{ui.band_badge(row['health_band_count'])} {ui.score(row['health_score_count'])}"
        st.markdown(
            f"**{label(product_id)} across {root_name}**: {by_arr} · {by_count} by account count "
            f"({int(row['member_count_count'] or 0)} accounts scored)"
        )
    st.dataframe(
        table,
        hide_index=True,
        column_order=[
            "node",
            "member_count_count",
            "health_score_count",
            "health_band_count",
            "health_score_arr",
            "health_band_arr",
            "worst_score_arr",
        ],
        column_config={
            "node": st.column_config.TextColumn("Node (indented by depth)", width="large"),
            "member_count_count": st.column_config.NumberColumn("Accounts scored", format="%d"),
            "health_score_count": st.column_config.NumberColumn("Score by count", format="%.1f"),
            "health_band_count": "Band by count",
            "health_score_arr": st.column_config.NumberColumn("Score by ARR", format="%.1f"),
            "health_band_arr": "Band by ARR",
            "worst_score_arr": st.column_config.NumberColumn("Worst account", format="%.1f"),
        },
    )
