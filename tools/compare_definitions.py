"""Compare a proposed health definition with the current one before merging it.

    # build both definitions over the same window from the same raw data, then compare
    python -m tools.compare_definitions run \\
        --proposed-seeds path/to/proposed/definitions --raw-from warehouse/health.duckdb \\
        --start-date 2025-06-01 --end-date 2026-11-21 --work-dir /tmp/definition-check

    # or compare two warehouses built already
    python -m tools.compare_definitions compare BASELINE.duckdb PROPOSED.duckdb

`run` copies the dbt project to the work dir twice (the proposed copy with the CSV files
of --proposed-seeds over seeds/definitions/), copies the raw source schemas of --raw-from
(the dbt sources' schemas, from the manifest) into two fresh DuckDB files, builds each with
the production pipeline (one run of the Dagster daily job over the window, with every data
test and check; a broken definition stops it), and prints `compare`. `compare`
reads rpt_health_backtest_summary and fct_health_backtest of both: AUC per horizon with a
paired bootstrap interval of the difference (same outcomes, resampled together), and
the churn / contraction / expansion rates per band. See docs/backtesting.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np

from customer_health import config
from customer_health.manifest import copy_project, prepare_copy, project_env, raw_tables
from orchestration.jobs import DAILY_JOB_NAME

GROUND_TRUTH_SCHEMA = "_demo"  # what the demo generator planted, when the raw data is generated
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 0


def definition_project(destination: Path, proposed_seeds: Path | None) -> Path:
    """A copy of the dbt project; with proposed_seeds, its definition CSVs replaced."""
    copy_project(destination)
    if proposed_seeds is not None:
        definitions = destination / "seeds" / "definitions"
        known = {p.name for p in definitions.glob("*.csv")}
        proposed = sorted(proposed_seeds.glob("*.csv"))
        unknown = [p.name for p in proposed if p.name not in known]
        if unknown:
            raise SystemExit(f"not definition seeds of this project: {', '.join(unknown)}")
        if not proposed:
            raise SystemExit(f"no CSV files in {proposed_seeds}")
        for path in proposed:
            shutil.copy(path, definitions / path.name)
    return destination


def copy_raw(source: Path, target: Path) -> None:
    """The raw source schemas of `source` (those of the dbt sources) into a fresh DuckDB file."""
    schemas = {table.schema for table in raw_tables()} | {GROUND_TRUTH_SCHEMA}
    if target.exists():
        target.unlink()
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{source}' as src (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'src' and table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in sorted(tables):
            if schema not in schemas:
                continue
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as select * from src."{schema}"."{table}"')
        con.execute("detach src")
    finally:
        con.close()


def build(project: Path, raw_from: Path, work: Path, start: dt.date, end: dt.date) -> Path:
    """A warehouse built in `work` by the production pipeline on the definitions of
    `project`: the raw source schemas of raw_from in a fresh DuckDB file, then one run of
    the daily job over start..end (`python -m orchestration.run`, the code location itself:
    raw checks, dbt build with every data test, the blocking mart checks, the publication,
    alert delivery). The run has its own Dagster home, serving copy and alert outbox; the
    webhook is left out, so a comparison alerts nobody. What the run says goes to
    `work`/pipeline.log; its last line (the run's status) is printed."""
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "warehouse.duckdb"
    copy_raw(raw_from, warehouse)
    prepare_copy(project)
    env = {key: value for key, value in os.environ.items() if key != "HEALTH_ALERT_WEBHOOK_URL"}
    env.update(
        {
            **project_env(project),
            "DBT_PROFILES_DIR": str(project),
            "HEALTH_DBT_TARGET": "dev",
            **config.world_env(warehouse, work),
        }
    )
    window = ["--start", start.isoformat(), "--end", end.isoformat()]
    command = [sys.executable, "-m", "orchestration.run", DAILY_JOB_NAME, *window]
    log = work / "pipeline.log"
    print(
        f"python -m orchestration.run {DAILY_JOB_NAME} {' '.join(window)}: {project} (log: {log})", flush=True
    )
    with log.open("w") as output:
        completed = subprocess.run(
            command, cwd=config.PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    said = log.read_text().splitlines()
    if completed.returncode != 0:
        raise SystemExit(
            "\n".join(
                [f"the pipeline failed on the definitions of {project}; the end of {log}:", *said[-25:]]
            )
        )
    print(said[-1] if said else "", flush=True)
    return warehouse


def _auc(labels: np.ndarray, risk: np.ndarray) -> float:
    """ROC AUC by average ranks (the Mann-Whitney formula of int_health_backtest_auc)."""
    order = np.argsort(risk, kind="mergesort")
    ranks = np.empty(len(risk))
    sorted_risk = risk[order]
    i = 0
    while i < len(risk):
        j = i
        while j + 1 < len(risk) and sorted_risk[j + 1] == sorted_risk[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def paired_auc_difference(baseline: Path, proposed: Path) -> list[dict[str, object]]:
    """Per horizon: AUC of both on the renewal points scored by both, and a paired
    bootstrap 95% interval of proposed - baseline (outcomes resampled together)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{baseline}' as baseline (read_only)")
        con.execute(f"attach '{proposed}' as proposed (read_only)")
        rows = con.execute(
            """
            select b.horizon_days, b.is_churned, b.health_score, p.health_score
            from baseline.marts.fct_health_backtest as b
            inner join proposed.marts.fct_health_backtest as p
                on b.outcome_id = p.outcome_id and b.horizon_days = p.horizon_days
            where b.is_renewal_point and b.is_in_backtest_period
                and b.health_score is not null and p.health_score is not null
            order by b.horizon_days, b.outcome_id
            """
        ).fetchall()
    finally:
        con.close()
    out = []
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    for horizon in sorted({r[0] for r in rows}):
        sample = [r for r in rows if r[0] == horizon]
        labels = np.array([bool(r[1]) for r in sample])
        base = -np.array([r[2] for r in sample], dtype=float)
        prop = -np.array([r[3] for r in sample], dtype=float)
        differences = []
        for _ in range(BOOTSTRAP_SAMPLES):
            pick = rng.integers(0, len(sample), len(sample))
            if labels[pick].all() or not labels[pick].any():
                continue
            differences.append(_auc(labels[pick], prop[pick]) - _auc(labels[pick], base[pick]))
        low, high = np.percentile(differences, [2.5, 97.5]) if differences else (np.nan, np.nan)
        out.append(
            {
                "horizon_days": horizon,
                "outcomes": len(sample),
                "churned": int(labels.sum()),
                "baseline_auc": _auc(labels, base),
                "proposed_auc": _auc(labels, prop),
                "difference_low": float(low),
                "difference_high": float(high),
            }
        )
    return out


def band_rates(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            """
            select definition_version, horizon_days, health_band, outcome_count, churn_rate,
                contraction_rate, expansion_rate, churn_auc
            from marts.rpt_health_backtest_summary
            order by horizon_days, band_order
            """
        ).fetchall()
    finally:
        con.close()


def _f(value: object, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if pct:
        return f"{100 * float(value):.1f}%"
    return f"{float(value):.3f}" if isinstance(value, float) else str(value)


def compare(baseline: Path, proposed: Path) -> str:
    lines = [f"baseline: {baseline}", f"proposed: {proposed}", ""]
    lines.append(
        "Churn AUC at renewal points (same outcomes in both), paired bootstrap 95% "
        "interval of proposed - baseline:"
    )
    lines.append(
        f"{'N days':>6}  {'outcomes':>8}  {'churned':>7}  {'baseline':>8}  {'proposed':>8}  "
        "difference 95% interval"
    )
    for row in paired_auc_difference(baseline, proposed):
        lines.append(
            f"{row['horizon_days']:>6}  {row['outcomes']:>8}  {row['churned']:>7}  "
            f"{_f(row['baseline_auc']):>8}  {_f(row['proposed_auc']):>8}  "
            f"[{_f(row['difference_low'])}, {_f(row['difference_high'])}]"
        )
    lines += ["", "Outcomes per band N days before (churn / contraction / expansion rate):"]
    base_rows = {(r[1], r[2]): r for r in band_rates(baseline)}
    prop_rows = {(r[1], r[2]): r for r in band_rates(proposed)}
    base_versions = sorted({r[0] for r in base_rows.values()})
    prop_versions = sorted({r[0] for r in prop_rows.values()})
    lines.insert(2, f"definition versions: baseline {base_versions}, proposed {prop_versions}")
    if not base_rows or not prop_rows:
        lines.insert(
            3,
            "no back-test rows in one of them: no outcome has a score N days before it in the "
            "window; start it at least the shortest horizon (var backtest_horizon_days) before them",
        )
    lines.append(
        f"{'N days':>6}  {'band':<17}  {'baseline n / churn / contr / exp':<36}  "
        "proposed n / churn / contr / exp"
    )
    for key in sorted(set(base_rows) | set(prop_rows), key=lambda k: (k[0], k[1] == "all", k[1])):
        cells = []
        for rows in (base_rows, prop_rows):
            r = rows.get(key)
            cells.append(
                "-" if r is None else f"{r[3]} / {_f(r[4], True)} / {_f(r[5], True)} / {_f(r[6], True)}"
            )
        lines.append(f"{key[0]:>6}  {key[1]:<17}  {cells[0]:<36}  {cells[1]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.compare_definitions", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build current and proposed definitions, then compare")
    run.add_argument(
        "--proposed-seeds",
        type=Path,
        required=True,
        help="folder with the proposed seeds/definitions CSVs (those that change)",
    )
    run.add_argument("--raw-from", type=Path, required=True, help="warehouse holding the raw sources")
    run.add_argument("--start-date", type=dt.date.fromisoformat, required=True)
    run.add_argument("--end-date", type=dt.date.fromisoformat, required=True)
    run.add_argument("--work-dir", type=Path, required=True)
    cmp = sub.add_parser("compare", help="compare two warehouses that hold the back-test marts")
    cmp.add_argument("baseline", type=Path)
    cmp.add_argument("proposed", type=Path)
    args = parser.parse_args(argv)

    if args.command == "run":
        if args.start_date > args.end_date:
            raise SystemExit("--start-date is after --end-date")
        warehouses = {}
        for name, seeds in (("baseline", None), ("proposed", args.proposed_seeds)):
            project = definition_project(args.work_dir / name / "project", seeds)
            warehouses[name] = build(
                project, args.raw_from, args.work_dir / name, args.start_date, args.end_date
            )
        print(compare(warehouses["baseline"], warehouses["proposed"]))
    else:
        print(compare(args.baseline, args.proposed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
