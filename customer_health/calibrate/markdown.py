"""report.md: the calibration report as a reviewer reads it in a pull request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows]
    return lines


def _bands(rows: Sequence[Mapping[str, Any]]) -> list[list[object]]:
    return [
        [
            r["band"],
            r["count"],
            _percent(r["share"]),
            _percent(r["churn_rate"]),
            _percent(r["contraction_rate"]),
            _fmt(r["lift"]),
        ]  # fmt: skip
        for r in rows
    ]


def render(report: Mapping[str, Any]) -> str:
    settings = report["settings"]
    horizon = settings["horizon_days"]
    lines = [f"# Calibration report: {settings.get('warehouse', '')}", ""]
    if report["status"] != "ok":
        lines += [f"**Refused.** {report['message']}", ""]
        return "\n".join(lines) + "\n"
    data = report["data"]
    evaluation = report["held_out_evaluation"]
    main = next((row for row in evaluation["auc"] if row["horizon_days"] == horizon), None)
    if main:
        lines += [
            f"**{report['message']}**",
            "",
            f"Held out: the {main['churned'] + main['retained']} renewal points after {data['train_until']} "
            f"({main['churned']} churned, {main['retained']} retained), scored {horizon} days before each "
            f"outcome. ROC AUC of the health score for churn: current **{_fmt(main['current_auc'])}**, "
            f"candidate **{_fmt(main['candidate_auc'])}**.",
            "",
        ]
    recommendation = report.get("recommendation")
    if recommendation:
        lines += [f"**{recommendation['text']}**", ""]
    model = report.get("churn_risk_model")
    if model:
        lines += [f"Churn-risk model on the same held-out renewal points: {model.get('verdict', '')}", ""]
    versions = report.get("definition_versions", {})
    if versions:
        lines += [
            f"definition_version: current `{versions.get('current')}`, "
            f"candidate `{versions.get('candidate')}`.",
            "",
        ]
    lines += ["## Held-out evaluation (never used in fitting)", ""]
    lines += _table(
        ["horizon (days before the outcome)", "churned", "retained", "current AUC", "candidate AUC"],
        [
            [r["horizon_days"], r["churned"], r["retained"], r["current_auc"], r["candidate_auc"]]
            for r in evaluation["auc"]
        ],
    )
    for block in evaluation["bands"]:
        lines += ["", f"### Bands {block['horizon_days']} days before the outcome (held out)", ""]
        headers = ["band", "renewal points", "share", "churn rate", "contraction rate", "churn lift"]
        lines += ["Current:", ""] + _table(headers, _bands(block["current"]))
        lines += ["", "Candidate:", ""] + _table(headers, _bands(block["candidate"]))
    lines += ["", "## Data", ""]
    train, held = data["training"], data["held_out"]
    lines += [
        f"- Scores in the warehouse: {data['scored_days'][0]} .. {data['scored_days'][1]}.",
        f"- Training: {train['renewal_points']} renewal points ({train['churned']} churned, "
        f"{train['retained']} retained), outcomes {train['first_outcome']} .. {train['last_outcome']}, "
        f"each final by {data['train_until']} (outcome + {data['grace_days']} grace days).",
        f"- Held out: {held['renewal_points']} renewal points ({held['churned']} churned, {held['retained']} "
        f"retained), outcomes {held['first_outcome']} .. {held['last_outcome']}.",
        f"- In neither set (outcome within the grace period before {data['train_until']}): "
        f"{data['outcomes_in_neither']} outcomes.",
        "",
        "## Profiles",
        "",
    ]
    lines += _table(
        [
            "profile",
            "fitted on",
            "train churned",
            "train retained",
            "penalty",
            "train AUC current",
            "train AUC candidate",
        ],
        [
            [
                p["profile_id"],
                p["method"],
                p["train_churned"],
                p["train_retained"],
                p["penalty"],
                p["train_auc_current"],
                p["train_auc_candidate"],
            ]
            for p in report["profiles"]
        ],  # fmt: skip
    )
    lines += ["", "## Changes (old -> new)", ""]
    lines += _table(
        ["seed", "row", "column", "old", "new"],
        [[c["seed"], c["row"], c["column"], c["old"], c["new"]] for c in report["changes"]],
    )
    lines += [
        "",
        "## Adopt",
        "",
        "Review the changes above, then copy the candidate over the seeds in a pull request:",
        "",
        "    cp OUT/*.csv seeds/definitions/",
        "",
        "The definition-change sensor recalculates history once the change is deployed",
        "(docs/calibration.md).",
    ]
    return "\n".join(lines) + "\n"
