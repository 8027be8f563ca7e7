"""Calibrate the health definition from past outcomes; prove it on held-out history.

    python -m customer_health.calibrate --duckdb-path W --horizon-days 90 \\
        --train-until D --output-dir OUT

Reads a built warehouse (read-only), learns only from the renewal points whose outcome was
final by D (dataset.py), fits a candidate in the project's own terms (fit.py,
candidate.py: weights, poor/good values, scoring method, missing policy, band thresholds
per profile), judges current and candidate on the outcomes after D (report.py) and
writes OUT/*.csv (a complete definition: copying them over seeds/definitions/ adopts it),
OUT/report.json and OUT/report.md. Refuses, with a message that says what is missing,
when there is too little history. Deterministic for the same warehouse and seeds.
docs/calibration.md is the guide: calibrate, review and adopt a definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from customer_health import config
from customer_health.calibrate import report as reporting
from customer_health.calibrate.candidate import calibrate_definition
from customer_health.calibrate.dataset import CalibrationRefused, Examples, check_enough, load_examples, split
from customer_health.calibrate.definition import Definition, read_definition, write_definition
from customer_health.calibrate.fit import Settings
from customer_health.calibrate.scoring import churn_auc, score
from customer_health.warehouse import WarehouseBusyError, WarehouseMissingError, read_only_connection

EVALUATION_HORIZONS = (30, 90, 180)
DEFAULT_GRACE_DAYS = 30  # dbt var outcome_grace_days
REFUSED = 2


def _versions(seeds_dir: Path, output_dir: Path) -> dict[str, str]:
    try:
        from customer_health.definitions import definition_version

        return {"current": definition_version(seeds_dir), "candidate": definition_version(output_dir)}
    except (FileNotFoundError, KeyError, ValueError):
        return {}  # no dbt manifest prepared: the versions are left out


def _scorer_check(current: Definition, examples: Examples, version: str | None) -> dict[str, Any]:
    """The current definition re-scored here against the warehouse's stored scores."""
    rows = examples
    if version:
        rows = examples.where(examples.frame["stored_definition_version"] == version)
    ours = score(current, rows.profiles, rows.raw).health_score
    stored = rows.frame["stored_health_score"].to_numpy(dtype=float)
    both = ~np.isnan(ours) & ~np.isnan(stored)
    agree = both & (np.abs(ours - np.where(both, stored, 0)) < 1e-6)
    same_null = np.isnan(ours) & np.isnan(stored)
    return {"rows": len(rows), "agreeing": int(agree.sum() + same_null.sum()), "definition_version": version}


def run(
    duckdb_path: Path,
    horizon_days: int,
    train_until: dt.date,
    output_dir: Path,
    seeds_dir: Path | None = None,
    grace_days: int = DEFAULT_GRACE_DAYS,
    settings: Settings | None = None,
) -> tuple[int, dict[str, Any]]:
    """Calibrate; returns (exit code, report). 0: candidate written; 2: refused."""
    seeds_dir = Path(seeds_dir or config.seeds_dir())
    settings = settings or Settings(horizon_days=horizon_days)
    described = {"warehouse": str(duckdb_path), "seeds_dir": str(seeds_dir), **asdict(settings),
                 "train_until": str(train_until), "grace_days": grace_days}  # fmt: skip
    horizons = tuple(sorted({horizon_days, *EVALUATION_HORIZONS}))
    current = read_definition(seeds_dir)
    try:
        try:
            with read_only_connection(Path(duckdb_path)) as con:
                examples, first_day, last_day = load_examples(con, horizons)
        except (WarehouseMissingError, WarehouseBusyError) as error:
            raise CalibrationRefused(str(error)) from error
        if train_until >= last_day:
            raise CalibrationRefused(
                f"--train-until {train_until} leaves no held-out history: the warehouse's last scored day "
                f"is {last_day}; choose a day before it (e.g. {last_day - dt.timedelta(days=180)})"
            )
        data = split(examples, train_until, grace_days, first_day, last_day)
        check_enough(data, horizon_days, settings.min_train_per_class, settings.min_held_out_per_class)
    except CalibrationRefused as refusal:
        result = reporting.build(status="refused", settings=described, message=str(refusal))
        reporting.write(result, output_dir)
        return REFUSED, result

    candidate, fits = calibrate_definition(current, data.train, settings)
    write_definition(candidate, seeds_dir, output_dir)
    evaluation = reporting.compare(current, candidate, data.held_out, horizons)
    training = reporting.compare(current, candidate, data.train, (horizon_days,))["auc"][0]
    versions = _versions(seeds_dir, output_dir)
    main = next(row for row in evaluation["auc"] if row["horizon_days"] == horizon_days)
    extras: dict[str, Any] = {
        "definition_versions": versions,
        "scorer_check": _scorer_check(current, data.held_out.at(horizon_days), versions.get("current")),
    }
    extras["churn_risk_model"] = _churn_model(current, candidate, data, horizon_days, main)
    gain = (main["candidate_auc"] or 0) - (main["current_auc"] or 0)
    extras["recommendation"] = _recommendation(gain, horizon_days)
    message = (
        f"Candidate AUC {main['candidate_auc']} vs current {main['current_auc']} ({gain:+.3f}) at "
        f"{horizon_days} days on {main['churned']} churned and {main['retained']} retained held-out "
        "renewal points."
    )
    result = reporting.build(
        status="ok", settings=described, split=data, current=current, candidate=candidate, fits=fits,
        evaluation=evaluation, training=training, extras=extras, message=message,
    )  # fmt: skip
    reporting.write(result, output_dir)
    return 0, result


#: Held-out AUC the candidate must gain at the horizon before the report recommends it.
MIN_AUC_GAIN = 0.02


def _recommendation(gain: float, horizon_days: int) -> dict[str, Any]:
    if gain >= MIN_AUC_GAIN:
        text = (
            f"Adopt: the candidate predicts churn {horizon_days} days ahead better than the current "
            f"definition on held-out outcomes (AUC {gain:+.3f})."
        )
        return {"adopt": True, "text": text}
    text = (
        f"Keep the current definition: on held-out outcomes the candidate does not beat it by at "
        f"least {MIN_AUC_GAIN} AUC {horizon_days} days ahead ({gain:+.3f})."
    )
    return {"adopt": False, "text": text}


def _churn_model(
    current: Definition, candidate: Definition, data: Any, horizon_days: int, main: dict
) -> dict:
    from customer_health.reports.prediction import churn_model_on_held_out, verdict

    held = data.held_out.at(horizon_days)
    both = ~np.isnan(score(current, held.profiles, held.raw).health_score) & ~np.isnan(
        score(candidate, held.profiles, held.raw).health_score
    )
    model = churn_model_on_held_out(data.train.at(horizon_days), held, both)
    model["verdict"] = verdict(main["candidate_auc"], main["current_auc"], model)
    return model


__all__ = ["CalibrationRefused", "Settings", "churn_auc", "run"]
