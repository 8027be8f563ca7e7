"""Where orchestrated calibrations leave their candidates and reports, beside the serving copy.

    $HEALTH_SERVING_DIR/calibration/
      20261201T040000Z/     one run: the candidate's CSV files, report.json, report.md
      LATEST                the directory name of the latest run (replaced atomically)

BI and the dashboard read only the serving directory, never the warehouse: the "Definition
quality" page shows the latest report from here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

CALIBRATION = "calibration"
LATEST = "LATEST"


def calibration_dir(serving_dir: Path) -> Path:
    return Path(serving_dir) / CALIBRATION


def new_run_dir(serving_dir: Path, at: dt.datetime) -> Path:
    """A new, empty directory for one calibration run, named by its time (UTC)."""
    base = calibration_dir(serving_dir)
    name = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, suffix = base / name, 1
    while candidate.exists():
        suffix += 1
        candidate = base / f"{name}-{suffix}"
    candidate.mkdir(parents=True)
    return candidate


def mark_latest(run_dir: Path) -> None:
    """Point LATEST at `run_dir` (a write to a temporary file, then one atomic rename)."""
    pointer = run_dir.parent / LATEST
    temporary = pointer.with_suffix(".tmp")
    temporary.write_text(run_dir.name + "\n", encoding="utf-8")
    os.replace(temporary, pointer)


def latest_run_dir(serving_dir: Path) -> Path | None:
    pointer = calibration_dir(serving_dir) / LATEST
    if not pointer.exists():
        return None
    run_dir = pointer.parent / pointer.read_text(encoding="utf-8").strip()
    return run_dir if (run_dir / "report.json").exists() else None


def latest_report(serving_dir: Path) -> tuple[dict[str, Any], str, Path] | None:
    """(report.json, report.md, its directory) of the latest calibration, or None."""
    run_dir = latest_run_dir(serving_dir)
    if run_dir is None:
        return None
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    markdown_path = run_dir / "report.md"
    markdown = markdown_path.read_text(encoding="utf-8") if markdown_path.exists() else ""
    return report, markdown, run_dir
