"""Calibration (customer_health.calibrate) on a small warehouse built inside the test.

The warehouse holds only what calibration reads: renewal points (fct_customer_outcomes),
the profile of each account per day (fct_account_health_daily) and every catalogue
indicator's raw value per day (int_indicator_values_daily). Churn depends on two
indicators only, license utilization and NPS; the others are noise. The candidate must
up-weight those two and beat the shipped definition on held-out outcomes; it must not
change when anything it may not use changes (values on days other than the training
horizon points, outcomes after --train-until); the same input gives the same output; too
little history is refused with a message that says what is missing.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_health.calibrate import run
from customer_health.calibrate.definition import read_definition
from customer_health.calibrate.scoring import nominal_weights

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_DIR / "seeds" / "definitions"
HORIZON = 90
TRAIN_UNTIL = dt.date(2025, 6, 30)
SIGNAL = ("license_utilization", "nps")
# Plausible raw-value ranges of the catalogue (uniform noise for the indicators without signal).
RANGES = {
    "license_utilization": (0.1, 1.0),
    "active_user_trend": (-0.5, 0.3),
    "feature_breadth": (0.1, 0.9),
    "exec_engagement": (5, 300),
    "stakeholder_coverage": (0.0, 1.0),
    "nps": (-60, 80),
    "support_burden": (0, 8),
    "payment_health": (0, 40),
    "goal_attainment": (0.0, 1.0),
    "onboarding_progress": (0.3, 1.5),
}
# Offsets (days before the outcome) with rows besides the horizon point: what the fit must not read.
OTHER_OFFSETS = (HORIZON - 1, HORIZON + 1, 30, 180)


def _values(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    values = {name: rng.uniform(low, high, n) for name, (low, high) in RANGES.items()}
    values["nps"] = np.where(rng.random(n) < 0.25, np.nan, values["nps"])  # NPS is often missing
    values["onboarding_progress"] = np.full(n, np.nan)  # nobody is onboarding
    return values


def build_warehouse(path: Path, accounts: int = 1400, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    first = dt.date(2024, 1, 1)
    outcome_day = [first + dt.timedelta(days=int(d)) for d in rng.integers(0, 730, accounts)]
    account = [f"acct_{i:05d}" for i in range(accounts)]
    profile = np.where(rng.random(accounts) < 0.7, "renewal_window", "digital_smb")
    at_horizon = _values(rng, accounts)
    utilization, nps = at_horizon["license_utilization"], np.nan_to_num(at_horizon["nps"], nan=10.0)
    logit = -1.6 - 6.0 * (utilization - 0.55) - 0.035 * (nps - 10.0)
    churned = rng.random(accounts) < 1 / (1 + np.exp(-logit))
    outcomes = pd.DataFrame({
        "outcome_id": [f"o_{i:05d}" for i in range(accounts)],
        "account_id": account,
        "outcome_date": outcome_day,
        "outcome_kind": "term_end",
        "outcome_result": np.where(churned, "churned", np.where(rng.random(accounts) < 0.15, "contracted", "renewed")),
        "is_renewal_point": True,
    })  # fmt: skip
    health_rows, value_rows = [], []
    for offset in (HORIZON, *OTHER_OFFSETS):
        values = at_horizon if offset == HORIZON else _values(rng, accounts)
        days = [d - dt.timedelta(days=offset) for d in outcome_day]
        health_rows.append(pd.DataFrame({
            "account_id": account, "as_of_date": days, "health_profile_id": profile,
            "health_score": np.nan, "definition_version": "synthetic", "arr": 12000.0, "licensed_seats": 20,
        }))  # fmt: skip
        for name, column in values.items():
            value_rows.append(pd.DataFrame({"account_id": account, "as_of_date": days, "indicator_id": name,
                                            "raw_value": column}))  # fmt: skip
    health = pd.concat(health_rows).drop_duplicates(["account_id", "as_of_date"])
    values = pd.concat(value_rows).drop_duplicates(["account_id", "as_of_date", "indicator_id"])
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema intermediate")
        for name, frame in (("marts.fct_customer_outcomes", outcomes), ("marts.fct_account_health_daily", health),
                            ("intermediate.int_indicator_values_daily", values)):  # fmt: skip
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibrate") / "warehouse.duckdb"
    build_warehouse(path)
    return path


@pytest.fixture(scope="module")
def calibrated(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("candidate")
    code, report = run(warehouse, HORIZON, TRAIN_UNTIL, out, seeds_dir=SEEDS)
    assert code == 0, report["message"]
    return out, report


def test_candidate_up_weights_the_two_indicators_that_carry_the_signal(calibrated: tuple[Path, dict]) -> None:
    out, _ = calibrated
    current, candidate = read_definition(SEEDS), read_definition(out)
    for profile in ("renewal_window", "digital_smb"):
        before, after = nominal_weights(current, profile), nominal_weights(candidate, profile)
        for indicator in SIGNAL:
            assert after.get(indicator, 0) > before[indicator] + 0.1, (profile, indicator, before, after)
        assert sum(after.get(indicator, 0) for indicator in SIGNAL) >= 0.6, (profile, after)


def test_candidate_beats_the_current_definition_on_held_out_outcomes(calibrated: tuple[Path, dict]) -> None:
    _, report = calibrated
    main = next(row for row in report["held_out_evaluation"]["auc"] if row["horizon_days"] == HORIZON)
    print(f"\nheld out at {HORIZON} days: {main}")
    assert main["churned"] >= 30 and main["retained"] >= 100
    assert main["candidate_auc"] >= 0.75
    assert main["candidate_auc"] >= main["current_auc"] + 0.08
    # Trained only on outcomes final by --train-until; judged only on outcomes after it.
    data = report["data"]
    assert dt.date.fromisoformat(data["training"]["last_outcome"]) <= TRAIN_UNTIL - dt.timedelta(days=30)
    assert dt.date.fromisoformat(data["held_out"]["first_outcome"]) > TRAIN_UNTIL


def test_candidate_is_a_complete_definition(calibrated: tuple[Path, dict]) -> None:
    out, report = calibrated
    assert sorted(p.name for p in out.glob("*.csv")) == sorted(p.name for p in SEEDS.glob("*.csv"))
    for source in SEEDS.glob("*.csv"):
        header = source.read_text().splitlines()[0]
        assert (out / source.name).read_text().splitlines()[0] == header, source.name
    assert {"report.md", "report.json"} <= {p.name for p in out.iterdir()}
    assert report["changes"], "a fit that changes nothing is not a calibration"
    assert "Held-out evaluation" in (out / "report.md").read_text()


def test_same_input_same_output(warehouse: Path, calibrated: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = calibrated
    code, _ = run(warehouse, HORIZON, TRAIN_UNTIL, tmp_path, seeds_dir=SEEDS)
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(out, tmp_path, names, shallow=False)
    assert not mismatch and not errors, mismatch


def test_no_leakage_from_after_the_horizon_point_or_after_train_until(
    warehouse: Path, calibrated: tuple[Path, dict], tmp_path: Path
) -> None:
    """Rewrite everything calibration may not learn from: every value on a day that is not
    the horizon point of a training outcome, and every outcome after --train-until. The
    candidate must not move. Rewriting the values at the training horizon points (what it
    must learn from) must move it: the test can see a leak."""
    out, _ = calibrated
    tampered = tmp_path / "tampered.duckdb"
    shutil.copyfile(warehouse, tampered)
    with duckdb.connect(str(tampered)) as con:
        con.execute(
            """
            update intermediate.int_indicator_values_daily as v
            set raw_value = coalesce(-raw_value, 0.5) * 7
            where not exists (
                select 1 from marts.fct_customer_outcomes as o
                where o.account_id = v.account_id
                    and v.as_of_date = o.outcome_date - 90
                    and o.outcome_date + 30 <= ?
            )
            """,
            [TRAIN_UNTIL],
        )
        con.execute(
            "update marts.fct_customer_outcomes set outcome_result = case outcome_result when 'churned' "
            "then 'renewed' else 'churned' end where outcome_date > ?",
            [TRAIN_UNTIL],
        )
    again = tmp_path / "again"
    code, _ = run(tampered, HORIZON, TRAIN_UNTIL, again, seeds_dir=SEEDS)
    assert code == 0
    for csv_file in out.glob("*.csv"):
        assert csv_file.read_text() == (again / csv_file.name).read_text(), f"{csv_file.name} moved: leakage"

    with duckdb.connect(str(tampered)) as con:
        con.execute(
            """
            update intermediate.int_indicator_values_daily as v set raw_value = 1 - raw_value
            where indicator_id = 'license_utilization'
            """
        )
    sensitive = tmp_path / "sensitive"
    run(tampered, HORIZON, TRAIN_UNTIL, sensitive, seeds_dir=SEEDS)
    moved = [f.name for f in out.glob("*.csv") if f.read_text() != (sensitive / f.name).read_text()]
    assert moved, "changing the training values changed nothing: the test would not see a leak"


def test_too_little_history_is_refused_with_what_is_missing(tmp_path: Path) -> None:
    small = tmp_path / "small.duckdb"
    build_warehouse(small, accounts=120)
    code, report = run(small, HORIZON, TRAIN_UNTIL, tmp_path / "out", seeds_dir=SEEDS)
    assert code == 2 and report["status"] == "refused"
    message = report["message"]
    print(f"\n{message}")
    assert "too little history" in message and "at least 30 of each are needed" in message
    assert not list((tmp_path / "out").glob("*.csv"))
    assert "Refused" in (tmp_path / "out" / "report.md").read_text()


def test_no_warehouse_is_refused(tmp_path: Path) -> None:
    code, report = run(tmp_path / "missing.duckdb", HORIZON, TRAIN_UNTIL, tmp_path / "out", seeds_dir=SEEDS)
    assert code == 2 and "does not exist" in report["message"]


def test_demo_summary_says_current_candidate_and_model(calibrated: tuple[Path, dict]) -> None:
    from customer_health.reports.prediction import calibration_summary

    _, report = calibrated
    text = calibration_summary(report)
    print(f"\n{text}")
    assert f"{HORIZON} days ahead: current definition AUC" in text
    assert "churn-risk model" in text and report["recommendation"]["text"] in text
    assert calibration_summary(None).startswith("Calibration: no report yet")
