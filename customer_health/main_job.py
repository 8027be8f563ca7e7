"""The main job: generate demo data, build the warehouse with dbt, print a summary.

    python -m customer_health.main_job [--accounts 300] [--days 400] [--window-days 180]

Everything runs on the embedded default: one DuckDB file (HEALTH_DUCKDB_PATH, default
warehouse/health.duckdb). dbt is the real CLI, run as a subprocess.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from customer_health import summary

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DUCKDB_PATH = PROJECT_DIR / "warehouse" / "health.duckdb"


def warehouse_path() -> Path:
    return Path(os.environ.get("HEALTH_DUCKDB_PATH", str(DEFAULT_DUCKDB_PATH))).resolve()


def dbt_env(duckdb_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HEALTH_DUCKDB_PATH"] = str(duckdb_path)
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR))
    env.setdefault("DBT_PROJECT_DIR", str(PROJECT_DIR))
    return env


def window_vars(start: dt.date, end: dt.date) -> str:
    return f"{{health_start_date: '{start.isoformat()}', health_end_date: '{end.isoformat()}'}}"


def run_dbt(args: list[str], duckdb_path: Path) -> None:
    """Run the real dbt CLI from the virtualenv next to this interpreter."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", *args]
    print("$ " + " ".join(command), flush=True)
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=dbt_env(duckdb_path), check=False)
    if completed.returncode != 0:
        raise SystemExit(f"dbt {args[0]} failed with exit code {completed.returncode}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--days", type=int, default=400, help="days of generated history")
    parser.add_argument("--window-days", type=int, default=180, help="days of health to compute")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bad-rows-rate", type=float, default=0.01)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--skip-generate", action="store_true", help="reuse the raw data")
    args = parser.parse_args(argv)

    end_date = args.end_date or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
    start_date = end_date - dt.timedelta(days=args.window_days - 1)
    duckdb_path = warehouse_path()
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    if not args.skip_generate:
        from customer_health.generator import generate

        print(f"Generating demo data: {args.accounts} accounts x {args.days} days -> {duckdb_path}")
        generate(
            duckdb_path=str(duckdb_path),
            accounts=args.accounts,
            days=args.days,
            seed=args.seed,
            bad_rows_rate=args.bad_rows_rate,
            end_date=end_date,
        )
    run_dbt(["build", "--full-refresh", "--vars", window_vars(start_date, end_date)], duckdb_path)
    print(f"\nBuilt health for {start_date} .. {end_date} in {time.monotonic() - started:.0f} s\n")
    from customer_health import serving
    from customer_health.quality import validate_marts

    quality = validate_marts(duckdb_path, start_date, end_date)
    print(quality.summary())
    if not quality.success:
        raise SystemExit("The marts failed their quality checks: not published for BI.")
    published = serving.publish(duckdb_path, run_results=PROJECT_DIR / "target" / "run_results.json")
    print(f"Published the marts for BI (read-only): {published}\n")
    print(summary.render(duckdb_path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
