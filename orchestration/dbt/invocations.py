"""The directories dbt invocations leave behind, kept to a bounded number.

dagster-dbt gives every dbt invocation of an op its own target directory under the dbt
target path (DBT_TARGET_PATH, default the project's target/), named
`<op>-<run id[:7]>-<7 hex>` (`<7 hex>` for an invocation without a run context, as the
weekly history checks run it): the manifest and parse state it used, the compiled and
executed SQL, run_results.json and dbt's debug log. dagster-dbt never removes them. Measured
on the 10,000-account benchmark world: 28 MB for a daily run, 9 MB and 15 MB for the two
invocations a rescore made before decision 0015 (it makes one now). The intraday sensor
may start a run every 15 minutes, so a production instance would add gigabytes a day until
its disk is full.

After each invocation the dbt op keeps the newest HEALTH_DBT_KEEP_INVOCATIONS of them
(default 20: the last day's intraday runs are in the Dagster event log anyway; the kept
directories are for reading the SQL and dbt's log of recent runs) and removes the older
ones. Only directories named as dagster-dbt names them are touched: the project's own
target/ files (manifest.json, partial_parse.msgpack, compiled/, run/ of dbt by hand) stay.
One invocation runs at a time per warehouse (the warehouse pool has one slot), so the
running invocation's directory is always the newest.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from customer_health.config import env_int

KEEP_ENV = "HEALTH_DBT_KEEP_INVOCATIONS"
DEFAULT_KEEP = 20
# `<op name>-<run id prefix>-<uuid prefix>`, or the uuid prefix alone (no run context).
INVOCATION_DIR = re.compile(r"(?:\w+-[0-9a-f]{7}-)?[0-9a-f]{7}")


def target_base(project_dir: str | Path) -> Path:
    """The dbt target path the invocations' directories are made in (dagster-dbt reads
    DBT_TARGET_PATH, relative to the project directory, default target/)."""
    base = Path(os.environ.get("DBT_TARGET_PATH") or "target")
    return base if base.is_absolute() else Path(project_dir) / base


def invocation_dirs(base: Path) -> list[Path]:
    """The invocations' directories under `base`, newest first."""
    if not base.is_dir():
        return []
    found = [path for path in base.iterdir() if path.is_dir() and INVOCATION_DIR.fullmatch(path.name)]
    return sorted(found, key=lambda path: (path.stat().st_mtime_ns, path.name), reverse=True)


def keep_setting() -> int:
    """HEALTH_DBT_KEEP_INVOCATIONS: the ops read it before dbt runs, so that a bad value
    stops the run before it writes anything."""
    return env_int(KEEP_ENV, DEFAULT_KEEP, minimum=1)


def prune_invocations(base: Path, keep: int | None = None) -> list[Path]:
    """Remove all but the newest `keep` (default HEALTH_DBT_KEEP_INVOCATIONS) invocation
    directories under `base`; the removed ones are returned."""
    keep = keep_setting() if keep is None else keep
    removed = invocation_dirs(base)[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
