"""Command line: run the Great Expectations suites on the warehouse, with Data Docs.

python -m customer_health.quality [--duckdb-path X] [--suite raw|marts|all]
    [--start-date D --end-date D] [--now TS] [--data-docs] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import duckdb

from customer_health import config
from customer_health.manifest import load_manifest, prepare
from customer_health.quality.gx_project import QualityResult
from customer_health.quality.validate import validate_marts, validate_raw
from customer_health.safety import parse_iso_date


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Great Expectations checks of the raw sources and marts.")
    parser.add_argument("--duckdb-path", type=Path, default=None, help="default: $HEALTH_DUCKDB_PATH")
    parser.add_argument("--suite", choices=["raw", "marts", "all"], default="all")
    parser.add_argument(
        "--start-date", default=None, help="first as_of_date of the window (default yesterday)"
    )
    parser.add_argument("--end-date", default=None, help="last as_of_date of the window (default: start)")
    parser.add_argument("--now", default=None, help="reference time for raw freshness (ISO, UTC)")
    parser.add_argument("--state-path", type=Path, default=None, help="raw volume state (JSON)")
    parser.add_argument("--data-docs", action="store_true", help="build Data Docs and print the index path")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    duckdb_path = args.duckdb_path or config.warehouse_path()
    try:
        start = parse_iso_date(args.start_date, "--start-date") if args.start_date else config.yesterday()
        end = parse_iso_date(args.end_date, "--end-date") if args.end_date else start
        now = dt.datetime.fromisoformat(args.now) if args.now else None
        manifest = load_manifest(prepare())
        result: QualityResult | None = None
        if args.suite in ("raw", "all"):
            result = validate_raw(
                duckdb_path, now=now, state_path=args.state_path, manifest=manifest, data_docs=args.data_docs
            )
        if args.suite in ("marts", "all"):
            marts = validate_marts(duckdb_path, start, end, manifest=manifest, data_docs=args.data_docs)
            result = result.merge(marts) if result else marts
    except (ValueError, FileNotFoundError, duckdb.Error) as error:
        print(f"quality: {error}", file=sys.stderr)
        return 2
    assert result is not None
    print(json.dumps(result.to_dict(), indent=2, default=str) if args.json else result.summary())
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
