"""Synthetic benchmark of the hierarchy closure and health roll-up on DuckDB.

Builds a temporary warehouse with a synthetic CRM (N accounts in a forest of depth up to
--max-depth, with a few cycles, self-parents and orphans) and stand-ins for the scoring
models the roll-up reads (int_account_health_scores over the window plus the 30 days
before it, fct_account_health_daily reasons), then times the real dbt build of the
hierarchy models only, model by model (dbt's run_results.json), for each closure method.

    python benchmarks/hierarchy_rollup.py --accounts 100000 --days 30
    python benchmarks/hierarchy_rollup.py --accounts 2000 --days 5 --methods recursive

Prints a Markdown table and writes JSON with --output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from customer_health.config import PROJECT_DIR, dbt_executable  # noqa: E402

END_DATE = dt.date(2026, 10, 31)
CHANGE_DAYS = 30
MODELS = [
    "base_crm__accounts",
    "stg_crm__accounts",
    "int_accounts_snapshot_source",
    "snap_crm__accounts",
    "hierarchy_band_rules",
    "path:models/intermediate/hierarchy",
    "dq_hierarchy_issues",
    "fct_hierarchy_health_daily",
]
# The models that make up "closure + roll-up".
TIMED = [
    "int_account_hierarchy_links",
    "int_account_hierarchy_closure",
    "int_account_hierarchy",
    "int_account_hierarchy_versions",
    "int_account_hierarchy_version_links",
    "int_account_hierarchy_version_closure",
    "int_hierarchy_rollup_days",
    "int_hierarchy_health_members",
    "int_hierarchy_health_rollup",
    "int_hierarchy_health_contributions",
    "fct_hierarchy_health_daily",
]


def make_forest(accounts: int, max_depth: int, seed: int) -> tuple[list[str], list[str | None]]:
    """Ids and CRM parents: enterprises of varying size, depth up to max_depth, and a few
    bad links (3-cycles, self-parents, orphans) as in real CRM data."""
    rng = random.Random(seed)
    ids = [f"001{index:015d}" for index in range(accounts)]
    parents: list[str | None] = [None] * accounts
    depth = [0] * accounts
    root_start = 0
    for index in range(1, accounts):
        # A new enterprise every ~50 accounts on average; otherwise a unit of the current
        # one, under a random account of it that is not yet at max depth.
        if rng.random() < 0.02:
            root_start = index
            continue
        for _ in range(4):
            parent = rng.randrange(root_start, index)
            if depth[parent] < max_depth:
                parents[index] = ids[parent]
                depth[index] = depth[parent] + 1
                break
    for start in range(accounts // 2, accounts - 3, max(accounts // 20, 4)):
        a, b, c = start, start + 1, start + 2
        parents[a], parents[b], parents[c] = ids[c], ids[a], ids[b]
        parents[start + 3] = ids[start + 3]
    for index in range(7, accounts, max(accounts // 25, 8)):
        parents[index] = f"missing{index}"
    return ids, parents


def write_warehouse(path: Path, accounts: int, days: int, max_depth: int, seed: int) -> dict:
    ids, parents = make_forest(accounts, max_depth, seed)
    start = END_DATE - dt.timedelta(days=days - 1)
    span_start = start - dt.timedelta(days=CHANGE_DAYS)
    loaded = dt.datetime(2026, 9, 1)
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Account {i}" for i in range(accounts)],
            "parent_id": parents,
        }
    )
    con = duckdb.connect(str(path))
    con.register("forest", frame)
    con.execute("create schema crm")
    con.execute(
        "create table crm.account as select id, name, parent_id, 'Customer' as type, "
        "'Software' as industry, 'US' as billing_country, 'enterprise' as customer_tier__c, "
        "'premium' as support_package__c, 'csm' as owner_id, ?::timestamp as created_date, "
        "false as is_deleted, ?::timestamp as _loaded_at from forest",
        [loaded, loaded],
    )
    con.execute("create schema intermediate")
    con.execute("create schema marts")
    # ~90% of accounts are customers; scores drift per day; 10% insufficient_data.
    con.execute(
        f"""
        create table intermediate.int_account_health_scores as
        with days as (
            select cast(day as date) as as_of_date
            from range(date '{span_start}', date '{END_DATE}' + interval 1 day,
                       interval 1 day) as t(day)
        ),
        customers as (
            select id as account_id, (hash(id) % 100)::bigint as base,
                   case when hash(id) % 13 = 0 then 0 else ((hash(id) % 50)::bigint + 1) * 1200 end as arr
            from crm.account where hash(id) % 10 <> 0
        ),
        scored as (
            select customers.account_id, days.as_of_date, customers.arr,
                   least(100, greatest(0, customers.base
                       + (hash(customers.account_id || days.as_of_date::varchar) % 41)::bigint - 20))
                       ::double as health_score,
                   hash(customers.account_id || 'b' || days.as_of_date::varchar) % 10 = 0
                       as is_insufficient
            from customers cross join days
        )
        select account_id, as_of_date, health_score,
               case when is_insufficient then 'insufficient_data'
                    when health_score >= 70 then 'good'
                    when health_score < 45 then 'poor' else 'average' end as health_band,
               arr::double as arr
        from scored
        """
    )
    con.execute(
        f"""
        create table marts.fct_account_health_daily as
        select account_id, as_of_date,
               'license utilization 80% -> 30% (-9 pts); NPS 40 -> 10 (-3 pts)' as top_reasons
        from intermediate.int_account_health_scores
        where as_of_date >= date '{start}'
        """
    )
    con.execute(
        "create table intermediate.int_health_definition_version as select 'benchmark' as definition_version"
    )
    con.execute(
        "create table intermediate.int_usage_metrics_daily as select account_id, as_of_date, "
        "10::bigint as licensed_seats, 7::bigint as licensed_active_users_30d "
        "from intermediate.int_account_health_scores limit 0"
    )
    score_rows = con.execute("select count(*) from intermediate.int_account_health_scores").fetchone()[0]
    con.close()
    return {"start": start, "score_rows": score_rows}


def run_dbt(args: list[str], duckdb_path: Path, work: Path) -> tuple[float, float]:
    env = dict(os.environ)
    env.update(
        {
            "HEALTH_DUCKDB_PATH": str(duckdb_path),
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "HEALTH_DBT_TARGET": "dev",
        }
    )
    command = [
        dbt_executable(),
        *args,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(f"dbt failed:\n{completed.stdout[-5000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def model_timings(work: Path) -> dict[str, float]:
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}


def measure(method: str, args: argparse.Namespace, root: Path) -> dict:
    work = root / method
    work.mkdir()
    path = work / "bench.duckdb"
    data = write_warehouse(path, args.accounts, args.days, args.max_depth, args.seed)
    variables = json.dumps(
        {
            "health_start_date": data["start"].isoformat(),
            "health_end_date": END_DATE.isoformat(),
            "hierarchy_closure_method": method,
        }
    )
    load_before = os.getloadavg()[0]
    wall, cpu = run_dbt(
        [
            "build",
            "--select",
            *MODELS,
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--vars",
            variables,
        ],
        path,
        work,
    )
    timings = model_timings(work)
    con = duckdb.connect(str(path), read_only=True)
    counts = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0]
        for table in (
            "intermediate.int_account_hierarchy_closure",
            "intermediate.int_hierarchy_health_members",
            "intermediate.int_hierarchy_health_rollup",
            "marts.fct_hierarchy_health_daily",
            "marts.dq_hierarchy_issues",
        )
    }
    max_depth = con.execute("select max(hierarchy_depth) from intermediate.int_account_hierarchy").fetchone()[
        0
    ]
    con.close()
    return {
        "method": method,
        "accounts": args.accounts,
        "window_days": args.days,
        "max_depth": max_depth,
        "score_rows": data["score_rows"],
        "dbt_wall_seconds": round(wall, 1),
        "dbt_cpu_seconds": round(cpu, 1),
        "load_average_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "closure_and_rollup_seconds": round(sum(timings.get(m, 0.0) for m in TIMED), 1),
        "model_seconds": {m: round(timings[m], 2) for m in TIMED if m in timings},
        "rows": counts,
        "peak_rss_mib_any_child": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30, help="window days (plus 30 compared)")
    parser.add_argument("--max-depth", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=["recursive", "unrolled"])
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument("--keep-dir", type=Path, help="build in this (new) directory and keep it, to profile")
    args = parser.parse_args()
    results = []
    if args.keep_dir:
        args.keep_dir.mkdir(parents=True)
        results = [measure(method, args, args.keep_dir) for method in args.methods]
    else:
        with tempfile.TemporaryDirectory(prefix="hierarchy-bench-") as tmp:
            results = [measure(method, args, Path(tmp)) for method in args.methods]
    first = results[0]
    print(
        f"\n{first['accounts']:,} accounts (max depth {first['max_depth']}), "
        f"{first['window_days']}-day window, {first['score_rows']:,} score rows, "
        f"{first['rows']['intermediate.int_account_hierarchy_closure']:,} closure rows, "
        f"{first['rows']['marts.fct_hierarchy_health_daily']:,} mart rows\n"
    )
    print("| model | " + " | ".join(r["method"] for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    for model in TIMED:
        cells = " | ".join(f"{r['model_seconds'].get(model, 0):.2f}" for r in results)
        print(f"| {model} | {cells} |")
    print(
        "| **closure + roll-up (sum)** | "
        + " | ".join(f"**{r['closure_and_rollup_seconds']:.1f}**" for r in results)
        + " |"
    )
    print(
        "| dbt build wall (models, seed, snapshot; no tests; incl. start-up) | "
        + " | ".join(f"{r['dbt_wall_seconds']:.1f}" for r in results)
        + " |"
    )
    print(
        "| dbt process CPU seconds (user + sys) | "
        + " | ".join(f"{r['dbt_cpu_seconds']:.1f}" for r in results)
        + " |"
    )
    print(
        "| peak RSS of a dbt process, MiB | "
        + " | ".join(str(r["peak_rss_mib_any_child"]) for r in results)
        + " |"
    )
    print(
        "\nLoad average (1 min) before/after each run: "
        + ", ".join(f"{r['method']} {r['load_average_1m']}" for r in results)
        + f" on {os.cpu_count()} CPUs."
    )
    if args.output:
        args.output.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
