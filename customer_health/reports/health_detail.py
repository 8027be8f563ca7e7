"""Round-2 figures for the main job's summary: product modules scored poor in accounts that
score good, the relationship x impact quadrants with their plays, and the CSM overrides
in effect (each section left out when its marts are not built).

    from customer_health.reports.health_detail import health_detail
    print(health_detail(con))   # con: a DuckDB connection to the warehouse (read-only is fine)
"""

from __future__ import annotations

import duckdb

from customer_health.reports.tables import text_table
from customer_health.warehouse import table_exists


def poor_products_in_good_accounts(con: duckdb.DuckDBPyConnection) -> str:
    """The case product health exists for: a module scored poor while its account is good."""
    latest, accounts, window_accounts, modules = con.execute(
        """
        with pairs as (
            select product.account_id, product.as_of_date, product.product_id
            from marts.fct_product_health_daily as product
            inner join marts.fct_account_health_daily as account
                on product.account_id = account.account_id and product.as_of_date = account.as_of_date
            where product.health_band = 'poor' and account.health_band = 'good'
        ),
        latest as (select max(as_of_date) as as_of_date from marts.fct_product_health_daily)
        select
            latest.as_of_date,
            count(distinct pairs.account_id) filter (where pairs.as_of_date = latest.as_of_date),
            count(distinct pairs.account_id),
            count(distinct pairs.account_id || '|' || pairs.product_id)
                filter (where pairs.as_of_date = latest.as_of_date)
        from latest left join pairs on true
        group by latest.as_of_date
        """
    ).fetchone()  # type: ignore[misc]
    example = con.execute(
        """
        select account.account_id, product.product_id, round(account.health_score, 1),
            round(product.health_score, 1), product.top_reasons
        from marts.fct_product_health_daily as product
        inner join marts.fct_account_health_daily as account
            on product.account_id = account.account_id and product.as_of_date = account.as_of_date
        where product.health_band = 'poor' and account.health_band = 'good' and product.as_of_date = ?
        order by account.arr desc, account.account_id, product.product_id
        limit 1
        """,
        [latest],
    ).fetchall()
    lines = [
        f"\nProduct modules scored poor in accounts scored good on {latest}: {modules} module(s) in "
        f"{accounts} account(s) ({window_accounts} account(s) on any day of the published window)."
    ]
    if example:
        lines.append(text_table(["account", "module", "account score", "module score", "why"], example))
    return "\n".join(lines)


def quadrants(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        """
        select coalesce(q.quadrant_label, 'no quadrant (a dimension without data)'), q.recommended_play,
            count(*), round(sum(h.arr))
        from marts.fct_account_health_daily as h
        left join marts.dim_health_quadrant as q on h.health_quadrant = q.health_quadrant
        where h.as_of_date = (select max(as_of_date) from marts.fct_account_health_daily)
        group by all order by 3 desc
        """
    ).fetchall()
    return "\nRelationship x impact on the latest day:\n" + text_table(
        ["quadrant", "play", "accounts", "ARR"], rows
    )


def overrides(con: duckdb.DuckDBPyConnection) -> str:
    in_effect, changed = con.execute(
        """
        select count(*) filter (where override_id is not null),
            count(*) filter (where override_id is not null and effective_health_band <> health_band)
        from marts.fct_account_health_daily
        where as_of_date = (select max(as_of_date) from marts.fct_account_health_daily)
        """
    ).fetchone()  # type: ignore[misc]
    usable = con.execute("select count(*) from marts.dim_health_override").fetchone()[0]  # type: ignore[index]
    return (
        f"\nCSM overrides: {usable} usable; {in_effect} in effect on the latest day, "
        f"{changed} of them changing the band."
    )


def health_detail(con: duckdb.DuckDBPyConnection) -> str:
    parts = []
    if table_exists(con, "marts", "fct_product_health_daily"):
        parts.append(poor_products_in_good_accounts(con))
    if table_exists(con, "marts", "dim_health_quadrant"):
        parts.append(quadrants(con))
    if table_exists(con, "marts", "dim_health_override"):
        parts.append(overrides(con))
    return "\n".join(parts)
