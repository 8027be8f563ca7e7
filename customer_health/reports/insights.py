"""Health insights for the main job's summary: what the health marts say and how well
they predict.

    from customer_health.reports.insights import health_insights
    print(health_insights(con))   # con: a DuckDB connection to the warehouse (read-only is fine)

Sections (each left out when its marts are not built): band distribution on the latest
day, the 10 accounts most at risk with their reasons, the back-test (churn rate per band
90 days before the outcome and the rule-based AUC per definition and horizon), the
churn-risk model's holdout AUC next to the rule-based score's, and the expansion
candidates per quadrant.
"""

from __future__ import annotations

import duckdb

from customer_health.reports.tables import percent, text_table
from customer_health.warehouse import table_exists

BAND_ORDER = ("good", "average", "poor", "insufficient_data")
RISK_LIST_SIZE = 10
SUMMARY_HORIZON_DAYS = 90


def band_distribution(con: duckdb.DuckDBPyConnection) -> str:
    latest = con.execute("select max(as_of_date) from marts.fct_account_health_daily").fetchone()
    if not latest or latest[0] is None:
        return "No health scores yet."
    rows = con.execute(
        """
        select health_band, count(*), sum(arr)
        from marts.fct_account_health_daily
        where as_of_date = ?
        group by health_band
        """,
        [latest[0]],
    ).fetchall()
    by_band = {band: (n, arr or 0.0) for band, n, arr in rows}
    total = sum(n for n, _ in by_band.values()) or 1
    table = []
    for band in BAND_ORDER:
        accounts, arr = by_band.get(band, (0, 0.0))
        table.append((band, accounts, percent(accounts / total), round(arr)))
    return f"Health bands on {latest[0]} ({total} accounts):\n" + text_table(
        ["band", "accounts", "share", "ARR (USD)"], table
    )


def accounts_most_at_risk(con: duckdb.DuckDBPyConnection, limit: int = RISK_LIST_SIZE) -> str:
    """By the churn model's probability when it is trained, else by the lowest score."""
    names_table = (
        "intermediate.int_accounts_enriched"
        if table_exists(con, "intermediate", "int_accounts_enriched")
        else "(select cast(null as varchar) as account_id, cast(null as varchar) as account_name)"
    )
    names = f"left join {names_table} as accounts on accounts.account_id = health.account_id"
    model_trained = table_exists(con, "marts", "fct_churn_risk") and bool(
        con.execute("select count(*) from marts.fct_churn_risk where model_status = 'trained'").fetchone()[0]
    )
    if model_trained:
        rows = con.execute(
            f"""
            select risk.account_id, accounts.account_name, risk.churn_probability,
                health.health_band, round(health.health_score, 1), risk.top_risk_factors,
                health.top_reasons
            from marts.fct_churn_risk as risk
            inner join marts.fct_account_health_daily as health
                on risk.account_id = health.account_id and risk.prediction_date = health.as_of_date
            {names}
            order by risk.risk_rank
            limit ?
            """,
            [limit],
        ).fetchall()
        horizon = con.execute("select max(horizon_days) from marts.fct_churn_risk").fetchone()[0]
        rows = [(r[0], r[1], percent(r[2]), *r[3:]) for r in rows]
        title = (
            f"{_accounts(len(rows))} most at risk (churn-risk model: probability of churn within "
            f"{horizon} days, risk factors; health-score reasons = 30-day change):"
        )
        headers = ["account", "name", "p(churn)", "band", "score", "risk factors", "score reasons"]
    else:
        rows = con.execute(
            f"""
            select health.account_id, accounts.account_name, health.health_band,
                round(health.health_score, 1), round(health.score_change_30d, 1), health.top_reasons
            from marts.fct_account_health_daily as health
            {names}
            where health.as_of_date = (select max(as_of_date) from marts.fct_account_health_daily)
                and health.health_band <> 'insufficient_data'
            order by health.health_score, health.account_id
            limit ?
            """,
            [limit],
        ).fetchall()
        title = f"{_accounts(len(rows))} most at risk (lowest health score; the churn model is not trained):"
        headers = ["account", "name", "band", "score", "30d change", "reasons"]
    return title + "\n" + text_table(headers, rows, max_width=70)


def _accounts(count: int) -> str:
    """The title's count: as many as listed (a book of fewer accounts than the limit)."""
    return f"{count} account" + ("" if count == 1 else "s")


def backtest(con: duckdb.DuckDBPyConnection, horizon_days: int = SUMMARY_HORIZON_DAYS) -> str:
    parts = []
    auc = con.execute(
        """
        select definition_version, horizon_days, churn_auc, auc_churned_count, auc_retained_count,
            min(period_start_date), max(period_end_date)
        from marts.rpt_health_backtest_summary
        where health_band = 'all'
        group by all
        order by definition_version, horizon_days
        """
    ).fetchall()
    if not auc:
        return "Back-test: no outcome with a stored score yet (run a longer window, see docs/backtesting.md)."
    period = f"{min(r[5] for r in auc)} .. {max(r[6] for r in auc)}"
    parts.append(f"Back-test of the health score against customer outcomes {period}:")
    parts.append(
        "ROC AUC of the health score N days before for churn at renewal points (0.5 = chance):\n"
        + text_table(
            ["definition_version", "N days", "AUC", "churned", "retained"],
            [(r[0][:12], r[1], r[2], r[3], r[4]) for r in auc],
        )
    )
    bands = con.execute(
        """
        select definition_version, health_band, outcome_count, churn_rate, contraction_rate,
            expansion_rate, renewal_rate
        from marts.rpt_health_backtest_summary
        where horizon_days = ?
        order by definition_version, band_order
        """,
        [horizon_days],
    ).fetchall()
    if bands:
        parts.append(
            f"Outcomes by band {horizon_days} days before (share of outcomes):\n"
            + text_table(
                [
                    "definition_version",
                    "band",
                    "outcomes",
                    "churn",
                    "contraction",
                    "expansion",
                    "flat renewal",
                ],
                [(r[0][:12], r[1], r[2], *(percent(v) for v in r[3:])) for r in bands],
            )
        )
    return "\n".join(parts)


def churn_model(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        """
        select model_name, horizon_days, cutoff_date, prediction_date, test_example_count,
            test_churn_count, model_auc, rule_based_auc, model_status, model_note
        from marts.rpt_churn_model_evaluation
        """
    ).fetchall()
    if not rows:
        return "Churn-risk model: no evaluation (no scored accounts)."
    lines = ["Churn-risk model, time-based holdout (trained before the cutoff, tested after):"]
    lines.append(
        text_table(
            [
                "model",
                "horizon",
                "cutoff",
                "test snapshots",
                "churned",
                "model AUC",
                "health-score AUC",
                "status",
            ],
            [(r[0], f"{r[1]} d", r[2], r[4], r[5], r[6], r[7], r[8]) for r in rows],
        )
    )
    lines += [f"  {r[0]}: {r[9]}" for r in rows]
    return "\n".join(lines)


def expansion(con: duckdb.DuckDBPyConnection, top: int = 3) -> str:
    counts = con.execute(
        """
        select quadrant, play, count(*), count(distinct account_id)
        from marts.fct_expansion_candidates
        group by all
        order by quadrant
        """
    ).fetchall()
    if not counts:
        return "Expansion candidates: none."
    lines = ["Expansion candidates (impact x benefactor):"]
    lines.append(text_table(["quadrant", "play", "candidates", "accounts"], counts))
    best = con.execute(
        """
        select play, account_name, product_id, evidence
        from marts.fct_expansion_candidates
        where candidate_rank <= ?
        order by play, candidate_rank
        """,
        [top],
    ).fetchall()
    lines.append(f"Top {top} per play:")
    lines.append(text_table(["play", "account", "module", "evidence"], best, max_width=110))
    return "\n".join(lines)


def health_insights(con: duckdb.DuckDBPyConnection) -> str:
    """The health section of the main job's summary; sections whose marts are missing are skipped."""
    if not table_exists(con, "marts", "fct_account_health_daily"):
        return "No health marts yet."
    parts = [band_distribution(con), accounts_most_at_risk(con)]
    if table_exists(con, "marts", "rpt_health_backtest_summary"):
        parts.append(backtest(con))
    if table_exists(con, "marts", "rpt_churn_model_evaluation"):
        parts.append(churn_model(con))
    if table_exists(con, "marts", "fct_expansion_candidates"):
        parts.append(expansion(con))
    return "\n\n".join(parts)
