"""The examples calibration learns from and is judged on, read from a built warehouse.

An example is a renewal point of fct_customer_outcomes (a churn, contraction, expansion or
flat renewal at an annual term end or a monthly plan's anniversary or end) seen N days
before it (the horizon point): the account's health profile on that day
(fct_account_health_daily) and the raw value of every catalogue indicator on that day
(int_indicator_values_daily; NaN = no data). Nothing else is read: no row of a day other
than the horizon points, so no value from after the horizon point can reach a fit.

Training examples are the outcomes whose label was final by --train-until D (outcome day
plus the grace period in which a late renewal still counts, <= D); held-out examples are
the outcomes after D whose label is final by the warehouse's last day. The outcomes in
between (after D - grace, up to D) are in neither set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

OUTCOMES = "marts.fct_customer_outcomes"
HEALTH = "marts.fct_account_health_daily"
VALUES = "intermediate.int_indicator_values_daily"
REQUIRED = (OUTCOMES, HEALTH, VALUES)


class CalibrationRefused(RuntimeError):
    """Too little history (or no warehouse) to fit or to judge a candidate; says what is missing."""


@dataclass(frozen=True)
class Examples:
    """One row per (outcome, horizon): labels, profile and raw values (indicator columns)."""

    frame: pd.DataFrame
    indicators: tuple[str, ...]

    def at(self, horizon_days: int) -> Examples:
        rows = self.frame[self.frame["horizon_days"] == horizon_days].reset_index(drop=True)
        return Examples(rows, self.indicators)

    def where(self, mask: np.ndarray | pd.Series) -> Examples:
        return Examples(self.frame[np.asarray(mask, dtype=bool)].reset_index(drop=True), self.indicators)

    @property
    def raw(self) -> pd.DataFrame:
        return self.frame[list(self.indicators)]

    @property
    def churned(self) -> np.ndarray:
        return self.frame["is_churned"].to_numpy(dtype=bool)

    @property
    def profiles(self) -> np.ndarray:
        return self.frame["health_profile_id"].to_numpy(dtype=object)

    def counts(self) -> tuple[int, int]:
        churned = int(self.churned.sum())
        return churned, len(self.frame) - churned

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Split:
    train: Examples
    held_out: Examples
    train_until: dt.date
    grace_days: int
    last_day: dt.date
    first_day: dt.date
    pending: int  # outcomes after D - grace up to D (label not final by D): in neither set


def _missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    missing = []
    for relation in REQUIRED:
        schema, table = relation.split(".")
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        if not found:
            missing.append(relation)
    return missing


def load_examples(
    con: duckdb.DuckDBPyConnection, horizons: Sequence[int]
) -> tuple[Examples, dt.date, dt.date]:
    """Every renewal point seen `horizon` days before it, for each horizon, where the account
    had a health row that day; and the warehouse's first and last scored day."""
    missing = _missing_tables(con)
    if missing:
        raise CalibrationRefused(
            f"the warehouse lacks {', '.join(missing)}: build it first (make demo, or dbt build "
            "over a window of history)"
        )
    first_day, last_day = con.execute(f"select min(as_of_date), max(as_of_date) from {HEALTH}").fetchone()
    if last_day is None:
        raise CalibrationRefused(f"{HEALTH} is empty: build a window of history first")
    horizon_rows = " union all ".join(f"select {int(h)} as horizon_days" for h in sorted(set(horizons)))
    points = con.execute(
        f"""
        with horizons as ({horizon_rows})
        select
            outcomes.outcome_id,
            outcomes.account_id,
            outcomes.outcome_date,
            outcomes.outcome_kind,
            outcomes.outcome_result,
            outcomes.outcome_result = 'churned' as is_churned,
            outcomes.outcome_result = 'contracted' as is_contracted,
            horizons.horizon_days,
            cast(outcomes.outcome_date - horizons.horizon_days as date) as scored_on_date,
            health.health_profile_id,
            health.health_score as stored_health_score,
            health.definition_version as stored_definition_version,
            health.arr,
            health.licensed_seats
        from {OUTCOMES} as outcomes
        cross join horizons
        inner join {HEALTH} as health
            on outcomes.account_id = health.account_id
            and health.as_of_date = cast(outcomes.outcome_date - horizons.horizon_days as date)
        where outcomes.is_renewal_point
        order by outcomes.outcome_date, outcomes.account_id, horizons.horizon_days
        """
    ).df()
    con.register("calibration_points", points[["account_id", "scored_on_date"]].drop_duplicates())
    try:
        values = con.execute(
            f"""
            select indicator_values.account_id, indicator_values.as_of_date as scored_on_date,
                indicator_values.indicator_id, indicator_values.raw_value
            from {VALUES} as indicator_values
            inner join calibration_points as points
                on indicator_values.account_id = points.account_id
                and indicator_values.as_of_date = points.scored_on_date
            """
        ).df()
    finally:
        con.unregister("calibration_points")
    indicators = tuple(sorted(values["indicator_id"].unique().tolist())) if len(values) else ()
    # dropna=False: an indicator without any value (e.g. nobody onboarding) is still a column.
    wide = values.pivot_table(
        index=["account_id", "scored_on_date"],
        columns="indicator_id",
        values="raw_value",
        aggfunc="first",
        dropna=False,
    )
    wide = wide.reindex(columns=list(indicators)).reset_index()
    frame = points.merge(wide, on=["account_id", "scored_on_date"], how="left")
    for column in indicators:
        frame[column] = frame[column].astype(float)
    for column in ("outcome_date", "scored_on_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame = frame.sort_values(["outcome_date", "account_id", "horizon_days"], kind="stable").reset_index(
        drop=True
    )
    return Examples(frame, indicators), first_day, last_day


def split(
    examples: Examples, train_until: dt.date, grace_days: int, first_day: dt.date, last_day: dt.date
) -> Split:
    outcome = examples.frame["outcome_date"]
    final_by_d = outcome.map(lambda day: day + dt.timedelta(days=grace_days) <= train_until)
    after_d = outcome > train_until
    final_at_end = outcome.map(lambda day: day + dt.timedelta(days=grace_days) <= last_day)
    pending = examples.frame.loc[~final_by_d & ~after_d, "outcome_id"].nunique()
    return Split(
        train=examples.where(final_by_d),
        held_out=examples.where(after_d & final_at_end),
        train_until=train_until,
        grace_days=grace_days,
        last_day=last_day,
        first_day=first_day,
        pending=int(pending),
    )


def check_enough(split_: Split, horizon_days: int, min_train: int, min_held_out: int) -> None:
    """Refuse, saying what is missing, unless both sides have enough churned and retained
    renewal points with a score at the horizon."""
    train_churned, train_retained = split_.train.at(horizon_days).counts()
    test_churned, test_retained = split_.held_out.at(horizon_days).counts()
    problems = []
    if train_churned < min_train or train_retained < min_train:
        problems.append(
            f"to fit, {train_churned} churned and {train_retained} retained renewal points scored "
            f"{horizon_days} days before them with the outcome final by {split_.train_until} "
            f"(outcome + {split_.grace_days} grace days); at least {min_train} of each are needed"
        )
    if test_churned < min_held_out or test_retained < min_held_out:
        problems.append(
            f"to judge on held-out history, {test_churned} churned and {test_retained} retained "
            f"renewal points after {split_.train_until} (final by {split_.last_day}) scored "
            f"{horizon_days} days before them; at least {min_held_out} of each are needed"
        )
    if problems:
        raise CalibrationRefused(
            "too little history to calibrate: "
            + "; and ".join(problems)
            + f". The warehouse holds scores for {split_.first_day} .. {split_.last_day}. Build a longer "
            "window of history (the scores must reach back the horizon before the outcomes), or move "
            "--train-until so that both sides have enough outcomes."
        )
