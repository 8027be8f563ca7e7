"""Command line: python -m healthgen --duckdb-path warehouse/health.duckdb"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from customer_health.config import warehouse_path
from healthgen.generator import check_size, default_end_date, generate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m healthgen",
        description="Generate the demo book of business (14 raw source tables + _demo truth) "
        "into a DuckDB file. Same arguments => same data.",
    )
    p.add_argument("--duckdb-path",
                   default=str(warehouse_path()),
                   help="DuckDB file to (re)create the raw tables in "
                        "(default: $HEALTH_DUCKDB_PATH or warehouse/health.duckdb)")  # fmt: skip
    p.add_argument("--accounts", type=int, default=300, help="CRM accounts (default 300)")
    p.add_argument(
        "--days", type=int, default=400, help="history length in days, ending at --end-date (default 400)"
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--bad-rows-rate",
        type=float,
        default=0.01,
        help="fraction of rows per table planted as bad rows (default 0.01)",
    )
    p.add_argument(
        "--end-date",
        type=_date,
        default=None,
        help="last day of history, YYYY-MM-DD (default: yesterday, UTC)",
    )
    p.add_argument(
        "--events-per-user-day",
        type=float,
        default=4.0,
        help="mean product events per active user-day (default 4)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="DuckDB threads (default: all cores; output does not depend on it)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    args = p.parse_args(argv)
    try:
        check_size(args.accounts, args.days, args.bad_rows_rate, args.events_per_user_day)
    except ValueError as error:
        p.error(str(error))
    return args


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    end = a.end_date or default_end_date()
    counts = generate(
        a.duckdb_path,
        accounts=a.accounts,
        days=a.days,
        seed=a.seed,
        bad_rows_rate=a.bad_rows_rate,
        end_date=end,
        events_per_user_day=a.events_per_user_day,
        quiet=a.quiet,
        threads=a.threads,
    )
    if not a.quiet:
        width = max(len(t) for t in counts)
        for table, n in counts.items():
            print(f"  {table:<{width}}  {n:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
