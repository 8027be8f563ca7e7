"""python -m customer_health.calibrate --duckdb-path W --horizon-days 90 --train-until D --output-dir OUT"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from customer_health import config
from customer_health.calibrate import DEFAULT_GRACE_DAYS, run
from customer_health.calibrate.fit import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m customer_health.calibrate",
        description="Fit a candidate health definition on past outcomes and judge it on held-out history.",
    )
    parser.add_argument(
        "--duckdb-path", type=Path, default=None, help="built warehouse (default HEALTH_DUCKDB_PATH)"
    )
    parser.add_argument("--horizon-days", type=int, default=90, help="days before each outcome to learn from")
    parser.add_argument(
        "--train-until",
        type=dt.date.fromisoformat,
        required=True,
        help="learn only from outcomes final by this day; judge on those after it",
    )
    parser.add_argument("--output-dir", type=Path, required=True, help="candidate CSVs and report.{md,json}")
    parser.add_argument(
        "--seeds-dir", type=Path, default=None, help="current definition (default seeds/definitions)"
    )
    parser.add_argument(
        "--grace-days", type=int, default=DEFAULT_GRACE_DAYS, help="dbt var outcome_grace_days"
    )
    parser.add_argument("--min-outcomes", type=int, default=Settings.min_train_per_class,
                        help="churned and retained training renewal points needed (each)")  # fmt: skip
    parser.add_argument("--min-held-out", type=int, default=Settings.min_held_out_per_class,
                        help="churned and retained held-out renewal points needed (each)")  # fmt: skip
    parser.add_argument(
        "--poor-share", type=float, default=Settings.poor_share, help="share of the poor band"
    )
    parser.add_argument(
        "--good-share", type=float, default=Settings.good_share, help="share of the good band"
    )
    args = parser.parse_args(argv)
    if args.horizon_days <= 0:
        parser.error("--horizon-days must be positive")
    if not (0 < args.poor_share < 1 and 0 < args.good_share < 1 and args.poor_share + args.good_share < 1):
        parser.error("--poor-share and --good-share must lie in (0, 1) and sum to less than 1")
    settings = Settings(
        horizon_days=args.horizon_days,
        min_train_per_class=args.min_outcomes,
        min_held_out_per_class=args.min_held_out,
        poor_share=args.poor_share,
        good_share=args.good_share,
    )
    code, report = run(
        duckdb_path=args.duckdb_path or config.warehouse_path(),
        horizon_days=args.horizon_days,
        train_until=args.train_until,
        output_dir=args.output_dir,
        seeds_dir=args.seeds_dir,
        grace_days=args.grace_days,
        settings=settings,
    )
    if code:
        print(f"calibration refused: {report['message']}", file=sys.stderr)
        return code
    print(report["message"])
    print(report["recommendation"]["text"])
    model = report.get("churn_risk_model", {})
    if model.get("verdict"):
        print(model["verdict"])
    print(f"Candidate definition and report written to {args.output_dir} (report.md).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
