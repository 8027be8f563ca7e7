"""Outcomes, ARR movements, the back-test and the churn-risk model on generated data.

One dataset with a year of scored history is generated and built with the real dbt CLI
once for this module (the outcome, back-test, churn-model and expansion marts and all
their upstream models, with their data tests); the checks read it.
The planted ground truth (_demo.account_truth) is used only to validate.

Point in time: a copy whose raw tables tell another story about every day after the churn
model's holdout cutoff (tests/_after_cutoff.py) is rebuilt from scratch; every score up
to the cutoff, the back-test's scores before it and the churn model's training snapshots,
labels and features must come out identical, and the model trained on them predicts the
held-out snapshots alike. The training and test sets are defined by the tests
(tests/_outcomes_world.py), from the snapshots and the outcomes mart, not read from the
model's report.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from _after_cutoff import change_everything_after
from _outcomes_world import (
    ACCOUNTS,
    CUTOFF,
    DAYS,
    GRACE_DAYS,
    SEED,
    SNAPSHOT_DAYS,
    START_DATE,
    examples_with_labels,
    holdout_probabilities,
    holdout_split,
    read_frame,
    rebuild_churn_models,
    row_set,
)
from conftest import END_DATE, generate, run_dbt, window_vars
from sklearn.metrics import roc_auc_score

MIN_AGREEMENT = 0.97

RESULT_OF_FATE = {
    "renewal": "renewed",
    "expansion": "expanded",
    "contraction": "contracted",
    "churn": "churned",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("outcomes")
    path = work / "health.duckdb"
    generate(path, accounts=ACCOUNTS, days=DAYS, seed=SEED, bad_rows_rate=0.01)
    # This module's marts and everything upstream of them, with their data tests.
    selection = [f"+path:models/marts/{folder}" for folder in ("outcomes", "predictive", "expansion")]
    # Cautious: only the tests whose every parent is built (not those reaching into other marts).
    run_dbt(
        ["build", "--select", *selection, "--indirect-selection", "cautious", "--vars",
         window_vars(START_DATE, END_DATE)],
        path,
        work,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def con(warehouse: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def test_arr_movements_reconcile(con: duckdb.DuckDBPyConnection) -> None:
    months = con.execute(
        """
        select month_start_date, opening_arr, new_arr, reactivation_arr, expansion_arr,
            contraction_arr, churned_arr, closing_arr, closing_date
        from marts.fct_arr_movements_monthly
        order by month_start_date
        """
    ).fetchall()
    assert len(months) > 24
    previous_closing = 0.0
    for month, opening, new, react, expansion, contraction, churn, closing, _ in months:
        assert abs(opening + new + react + expansion + contraction + churn - closing) < 0.01, month
        assert abs(opening - previous_closing) < 0.01, month
        assert new >= 0 and react >= 0 and expansion >= 0 and contraction <= 0 and churn <= 0
        previous_closing = closing
    # The last closing ARR is the book's ARR on the end day, as the health mart sees it.
    last_closing, closing_date = months[-1][7], months[-1][8]
    assert closing_date == END_DATE
    health_arr = con.execute(
        "select sum(arr) from marts.fct_account_health_daily where as_of_date = ?", [END_DATE]
    ).fetchone()[0]
    assert abs(last_closing - health_arr) < 0.01


def test_outcomes_agree_with_the_planted_truth(con: duckdb.DuckDBPyConnection) -> None:
    truth = con.execute(
        """
        select truth.fate, outcomes.outcome_result
        from _demo.account_truth as truth
        left join marts.fct_customer_outcomes as outcomes
            on truth.account_id = outcomes.account_id
            and truth.event_date = outcomes.outcome_date
        where not truth.is_future and truth.event_date <= ?
        """,
        [END_DATE],
    ).fetchall()
    assert {fate for fate, _ in truth} == set(RESULT_OF_FATE)
    agreed = sum(1 for fate, result in truth if RESULT_OF_FATE[fate] == result)
    rate = agreed / len(truth)
    per_fate = {
        fate: (
            sum(1 for f, r in truth if f == fate and RESULT_OF_FATE[f] == r),
            sum(1 for f, _ in truth if f == fate),
        )
        for fate in RESULT_OF_FATE
    }
    print(f"\noutcome agreement with _demo.account_truth: {agreed}/{len(truth)} = {rate:.1%} {per_fate}")
    assert rate >= MIN_AGREEMENT, per_fate
    # And nothing is invented: outcomes in the truth's period that the truth does not know.
    extra = con.execute(
        """
        select count(*)
        from marts.fct_customer_outcomes as outcomes
        left join _demo.account_truth as truth
            on truth.account_id = outcomes.account_id
            and truth.event_date = outcomes.outcome_date
        where outcomes.outcome_date >= (select min(event_date) from _demo.account_truth)
            and truth.account_id is null
        """
    ).fetchone()[0]
    outcome_count = con.execute(
        "select count(*) from marts.fct_customer_outcomes where outcome_date >= "
        "(select min(event_date) from _demo.account_truth)"
    ).fetchone()[0]
    assert extra <= (1 - MIN_AGREEMENT) * outcome_count


def test_outcomes_recognised_on_both_renewal_styles(con: duckdb.DuckDBPyConnection) -> None:
    """Annual terms renewed in place (Stripe: the same subscription, its period moved
    forward) and renewed into a new subscription: every planted fate at a term end is found
    on its day with its result, in both styles."""
    rows = con.execute(
        """
        select truth.renewal_style, truth.fate, outcomes.outcome_result
        from _demo.account_truth as truth
        left join marts.fct_customer_outcomes as outcomes
            on truth.account_id = outcomes.account_id
            and truth.event_date = outcomes.outcome_date
        where not truth.is_future and truth.event_date <= ?
            and truth.billing_interval = 'year' and truth.fate <> 'expansion'
        """,
        [END_DATE],
    ).fetchall()
    for style in ("in_place", "new_subscription"):
        of_style = [(fate, result) for s, fate, result in rows if s == style]
        renewals = [result for fate, result in of_style if fate == "renewal"]
        agreed = sum(1 for fate, result in of_style if RESULT_OF_FATE[fate] == result)
        print(f"\n{style}: {agreed}/{len(of_style)} annual term ends recognised, {len(renewals)} renewals")
        assert len(renewals) >= 10, style
        assert agreed / len(of_style) >= MIN_AGREEMENT, (style, of_style)


def test_sql_auc_equals_sklearn(con: duckdb.DuckDBPyConnection) -> None:
    aucs = con.execute(
        "select definition_version, horizon_days, churn_auc, churned_count, retained_count "
        "from intermediate.int_health_backtest_auc"
    ).fetchall()
    assert aucs
    for version, horizon, sql_auc, churned, retained in aucs:
        rows = con.execute(
            """
            select is_churned, health_score
            from marts.fct_health_backtest
            where definition_version = ? and horizon_days = ? and has_score and is_renewal_point
                and is_in_backtest_period and health_score is not null
            """,
            [version, horizon],
        ).fetchall()
        labels = np.array([r[0] for r in rows], dtype=bool)
        scores = np.array([r[1] for r in rows], dtype=float)
        assert (labels.sum(), (~labels).sum()) == (churned, retained)
        assert sql_auc == pytest.approx(roc_auc_score(labels, -scores), abs=1e-12)
        # The summary shows the same number on every band row.
        shown = con.execute(
            "select distinct churn_auc from marts.rpt_health_backtest_summary "
            "where definition_version = ? and horizon_days = ?",
            [version, horizon],
        ).fetchall()
        assert shown == [(sql_auc,)]


def test_rule_based_score_sees_the_planted_signal(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select horizon_days, churn_auc, auc_churned_count from marts.rpt_health_backtest_summary "
        "where health_band = 'all' order by horizon_days"
    ).fetchall()
    print("\nrule-based churn AUC per horizon:", rows)
    assert [h for h, _, _ in rows] == [30, 90, 180]
    assert all(churned >= 10 for _, _, churned in rows)
    # The generator plants its signals 60-120 days before a churn: the score 30 days
    # before must see them. (At 90 and 180 days most signals have not started yet, so
    # those AUCs are reported, not asserted.)
    aucs = {horizon: auc for horizon, auc, _ in rows}
    assert aucs[30] > 0.55, aucs


def test_churn_model_learns_only_labels_known_on_the_prediction_date(con: duckdb.DuckDBPyConnection) -> None:
    prediction_date = pd.Timestamp(END_DATE)
    examples = examples_with_labels(con)
    # Snapshots every SNAPSHOT_DAYS back from the prediction date; the current ones are scored.
    assert ((prediction_date - examples["feature_date"]).dt.days % SNAPSHOT_DAYS == 0).all()
    assert set(examples.loc[examples["example_type"] == "current", "feature_date"]) == {prediction_date}
    # The training set by definition: every past snapshot whose label window and the grace
    # period after it (a late renewal can still undo a churn) ended before the prediction
    # date, labelled churned when a churn outcome falls in that window.
    known = examples["label_end"] + pd.Timedelta(days=GRACE_DAYS) < prediction_date
    training = examples[(examples["example_type"] == "history") & known]
    assert (training["is_churned"] == training["expected_churn_date"].notna()).all()
    pd.testing.assert_series_equal(training["churn_date"], training["expected_churn_date"], check_names=False)
    # Labels not known yet carry no label.
    assert examples.loc[~known, "is_churned"].isna().all()
    risk = read_frame(
        con,
        "select distinct prediction_date, model_status, training_example_count, training_churn_count, "
        "training_max_outcome_date, training_max_label_date, training_max_feature_date from marts.fct_churn_risk",
    )
    assert len(risk) == 1
    report = risk.iloc[0]
    assert report["prediction_date"] == prediction_date and report["model_status"] == "trained"
    assert (report["training_example_count"], report["training_churn_count"]) == (
        len(training),
        int(training["expected_churn_date"].notna().sum()),
    )
    assert report["training_max_outcome_date"] == training["expected_churn_date"].max() < prediction_date
    assert report["training_max_label_date"] < prediction_date
    # No feature uses data from after its example's snapshot day.
    assert (
        con.execute(
            "select count(*) from intermediate.int_churn_model_feature_values where value_date > feature_date"
        ).fetchone()[0]
        == 0
    )
    # Every current account is scored, with a probability and its reasons.
    scored = con.execute(
        "select count(*), count(churn_probability), count(top_risk_factors) from marts.fct_churn_risk"
    ).fetchone()
    current = con.execute(
        "select count(*) from marts.fct_account_health_daily where as_of_date = ?", [END_DATE]
    ).fetchone()[0]
    assert scored == (current, current, current)


def test_churn_model_holdout_is_held_out_and_beats_chance(con: duckdb.DuckDBPyConnection) -> None:
    examples = examples_with_labels(con)
    train, test = holdout_split(examples)
    evaluation = read_frame(con, "select * from marts.rpt_churn_model_evaluation").iloc[0]
    assert evaluation["model_status"] == "evaluated"
    assert evaluation["cutoff_date"] == pd.Timestamp(CUTOFF)
    test_churned = test["expected_churn_date"].notna()
    assert (evaluation["train_example_count"], evaluation["train_churn_count"]) == (
        len(train),
        int(train["expected_churn_date"].notna().sum()),
    )
    assert (evaluation["test_example_count"], evaluation["test_churn_count"]) == (
        len(test),
        int(test_churned.sum()),
    )
    assert train["expected_churn_date"].max() + pd.Timedelta(days=GRACE_DAYS) < pd.Timestamp(CUTOFF)
    # Both AUCs recomputed on the test snapshots: the rule-based one from the stored
    # scores, the model's by training its code on the training snapshots defined above.
    assert evaluation["rule_based_auc"] == pytest.approx(
        roc_auc_score(test_churned, -test["health_score"]), abs=1e-12
    )
    model_auc = roc_auc_score(test_churned, holdout_probabilities(con, con))
    assert evaluation["model_auc"] == pytest.approx(model_auc, abs=1e-12)
    print(f"\nchurn model holdout AUC {model_auc:.3f}, rule-based {evaluation['rule_based_auc']:.3f}")
    # The generator plants usage decline, missed payments and lost sponsors before churns.
    assert model_auc > 0.5


@pytest.fixture(scope="module")
def after_cutoff(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the warehouse whose raw tables tell another story about every day after
    the holdout cutoff, rebuilt from scratch over the same window."""
    work = tmp_path_factory.mktemp("after_cutoff")
    path = work / "health.duckdb"
    shutil.copyfile(warehouse, path)
    with duckdb.connect(str(path)) as raw:
        change_everything_after(raw, CUTOFF)
    # From scratch (--full-refresh): base_product__tracks reads only rows landed since its
    # last run, and the rewrite changes landed rows in place.
    run_dbt(
        ["run", "--full-refresh", "--select", "+fct_health_backtest", "+rpt_churn_model_evaluation",
         "--vars", window_vars(START_DATE, END_DATE)],
        path,
        work,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def changed(after_cutoff: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(after_cutoff), read_only=True)
    yield connection
    connection.close()


def test_scores_up_to_the_cutoff_ignore_everything_after_it(con, changed) -> None:
    for table, key in (
        ("marts.fct_account_health_daily", "account_id, as_of_date"),
        ("marts.fct_indicator_scores_daily", "account_id, as_of_date, indicator_id"),
    ):
        before = f"select * from {table} where as_of_date <= '{CUTOFF}' order by {key}"
        assert con.execute(before).fetchall() == changed.execute(before).fetchall(), table
    # The rewrite did change the days after the cutoff (else this test proves nothing).
    after = f"select account_id, as_of_date, health_score from marts.fct_account_health_daily where as_of_date > '{CUTOFF}'"
    original, rewritten = row_set(con, after), row_set(changed, after)
    assert len(original - rewritten) > 0.5 * len(original)


def test_backtest_scores_before_the_cutoff_do_not_change(con, changed) -> None:
    scores = (
        "select outcome_id, horizon_days, scored_on_date, has_score, definition_version, health_profile_id, "
        f"health_score, health_band from marts.fct_health_backtest where scored_on_date <= '{CUTOFF}'"
    )
    original = {row[:2]: row for row in con.execute(scores).fetchall()}
    rewritten = {row[:2]: row for row in changed.execute(scores).fetchall()}
    common = original.keys() & rewritten.keys()
    assert len(common) > 500
    assert {key: original[key] for key in common} == {key: rewritten[key] for key in common}
    # Outcomes settled before the cutoff (grace period over) are the same outcomes.
    settled = (
        "select outcome_id, account_id, outcome_date, outcome_result, arr_before, arr_after from marts.fct_customer_outcomes "
        f"where outcome_date + {GRACE_DAYS} < '{CUTOFF}'"
    )
    assert row_set(con, settled) == row_set(changed, settled)


def test_churn_model_training_ignores_everything_after_the_cutoff(con, changed) -> None:
    train, _ = holdout_split(examples_with_labels(con))
    train_changed, _ = holdout_split(examples_with_labels(changed))
    columns = ["example_id", "feature_date", "is_churned", "churn_date", "expected_churn_date"]
    pd.testing.assert_frame_equal(
        train[columns].reset_index(drop=True), train_changed[columns].reset_index(drop=True)
    )
    # The features of every snapshot up to the cutoff (the training ones and the later ones).
    features = (
        "select example_id, feature_name, feature_value, value_date from intermediate.int_churn_model_feature_values "
        f"where feature_date <= '{CUTOFF}'"
    )
    original_features = row_set(con, features)
    assert {row[0] for row in original_features} >= set(train["example_id"])
    assert original_features == row_set(changed, features)
    report = "select cutoff_date, train_example_count, train_churn_count, train_max_feature_date, train_max_label_date, " \
        "train_max_outcome_date from marts.rpt_churn_model_evaluation"  # fmt: skip
    assert con.execute(report).fetchall() == changed.execute(report).fetchall()
    # The model trained before the cutoff predicts the same held-out snapshots alike.
    np.testing.assert_array_equal(holdout_probabilities(con, con), holdout_probabilities(changed, con))


def test_expansion_candidates_carry_their_evidence(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        select candidates.play, candidates.impact, candidates.benefactor, candidates.evidence,
            candidates.is_module_licensed, candidates.benefactor_status, candidates.health_band
        from marts.fct_expansion_candidates as candidates
        """
    ).fetchall()
    plays = {r[0] for r in rows}
    print("\nexpansion candidates per play:", {p: sum(1 for r in rows if r[0] == p) for p in plays})
    assert {"upsell_seats", "cross_sell_module", "expand_to_unit"} <= plays
    for _play, impact, benefactor, evidence, licensed, status, band in rows:
        assert evidence
        if benefactor == "same":
            assert status in ("customer", "low_usage_customer") and band == "good"
            assert licensed is (impact == "same")
        else:
            assert status in ("prospect", "former_customer", "low_usage_customer")
            assert not licensed


def test_churn_model_is_deterministic(warehouse: Path, tmp_path: Path) -> None:
    copy = rebuild_churn_models(warehouse, tmp_path)
    query = (
        "select account_id, churn_probability, risk_rank, top_risk_factors "
        "from marts.fct_churn_risk order by account_id"
    )
    with duckdb.connect(str(warehouse), read_only=True) as first, duckdb.connect(str(copy)) as second:
        assert first.execute(query).fetchall() == second.execute(query).fetchall()
        evaluation = "select model_auc, rule_based_auc from marts.rpt_churn_model_evaluation"
        assert first.execute(evaluation).fetchall() == second.execute(evaluation).fetchall()


def test_churn_model_without_enough_churns_still_builds(warehouse: Path, tmp_path: Path) -> None:
    copy = rebuild_churn_models(warehouse, tmp_path, churn_model_min_examples_per_class=1_000_000)
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.execute(
            "select count(*), count(churn_probability), min(model_status), min(model_note) "
            "from marts.fct_churn_risk"
        ).fetchone()
        assert rows[0] > 0 and rows[1] == 0
        assert rows[2] == "insufficient_data" and "not trained" in rows[3]
        evaluation = con.execute(
            "select model_auc, model_status, model_note from marts.rpt_churn_model_evaluation"
        ).fetchone()
        assert evaluation[0] is None and evaluation[1] == "insufficient_data"
        assert "not trained" in evaluation[2]


def test_calibration_rescores_the_warehouse_exactly(warehouse: Path, tmp_path: Path) -> None:
    """Calibration scores definitions in Python on the stored raw values: scoring the shipped
    seeds there must give the warehouse's own health_score on every example; and it runs end
    to end on a real build (a candidate and its report)."""
    from customer_health.calibrate import run
    from customer_health.calibrate.fit import Settings

    settings = Settings(
        horizon_days=90, min_train_per_class=3, min_held_out_per_class=3, min_profile_per_class=3
    )
    train_until = END_DATE - dt.timedelta(days=120)
    code, report = run(warehouse, 90, train_until, tmp_path / "out", settings=settings)
    assert code == 0, report["message"]
    check = report["scorer_check"]
    assert check["rows"] > 50 and check["agreeing"] == check["rows"], check
    assert (tmp_path / "out" / "health_profile_indicators.csv").exists()
