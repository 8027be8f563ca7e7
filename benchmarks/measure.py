"""What a benchmark measures and reports: phases (wall and CPU seconds, rows, peak memory
of the process tree, load average, slowest dbt nodes) and the Markdown report."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Phase:
    name: str
    wall_seconds: float
    rows_processed: int | None
    peak_memory_mib: float
    note: str = ""
    extrapolated: bool = False
    # The slowest dbt nodes of the phase (name, seconds) from run_results.json.
    slowest: list[tuple[str, float]] = field(default_factory=list)
    # 1-minute load average when the phase ended (other work on the machine inflates times).
    load_average: float = 0.0
    cpu_seconds: float = 0.0
    # Phases under a minute run three times: wall is the median, spread min-max.
    runs: int = 1
    spread: str = ""

    @property
    def rows_per_second(self) -> float | None:
        if not self.rows_processed or self.wall_seconds <= 0:
            return None
        return self.rows_processed / self.wall_seconds


@dataclass
class Report:
    accounts: int
    days: int
    window_days: int
    events: int = 0
    # The generator's mean product events per active user-day (its default is 4).
    events_per_user_day: float = 4.0
    commit: str = ""
    machine: str = ""
    started_at: str = ""
    phases: list[Phase] = field(default_factory=list)
    ratios: dict[str, float | None] = field(default_factory=dict)
    intraday: dict[str, Any] = field(default_factory=dict)
    # Per dashboard page: first and next visit, seconds (benchmarks/dashboard_phase.py).
    dashboard: dict[str, Any] = field(default_factory=dict)
    # Set when a phase failed: the report holds the phases up to it, the failed one last.
    failed: str = ""


class PhaseFailed(SystemExit):
    """A phase's command exited non-zero: what it cost until then, and its output's tail."""

    def __init__(self, command: list[str], wall: float, peak_mib: float, cpu: float, output: str) -> None:
        super().__init__(f"{' '.join(command[:3])} failed:\n{output[-4000:]}")
        self.wall, self.peak_mib, self.cpu = wall, peak_mib, cpu
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        self.last_line = (errors or lines or ["no output"])[-1][:300]


def _group_rss_bytes(pgid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            # fields[2] is pgrp (field 5 of stat), fields[21] is rss in pages (field 24).
            if int(fields[2]) == pgid:
                total += int(fields[21]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(
    command: list[str], env: dict[str, str], expect: str | None = None
) -> tuple[float, float, float]:
    """Run a command in its own process group; return (wall seconds, peak MiB of the group,
    CPU seconds of the command and its children). CPU seconds barely depend on other work
    on the machine; wall seconds do (compare with the load average of the phase).

    With `expect`, a run whose output does not hold it fails too (PhaseFailed): a phase
    that claims what the run did (the rescoring path) must be able to show it."""
    cpu_before = _children_cpu_seconds()
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = 0
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    while process.poll() is None:
        peak = max(peak, _group_rss_bytes(process.pid))
        time.sleep(0.1)
    reader.join(timeout=5)
    wall = time.monotonic() - started
    cpu = _children_cpu_seconds() - cpu_before
    if process.returncode != 0:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise PhaseFailed(command, wall, peak / 2**20, cpu, "".join(output))
    if expect is not None and expect not in "".join(output):
        missing = f"BenchmarkError: the run succeeded but did not print {expect!r}"
        raise PhaseFailed(command, wall, peak / 2**20, cpu, "".join(output) + "\n" + missing)
    return wall, peak / 2**20, cpu


def to_markdown(report: Report) -> str:
    lines = [
        f"# Benchmark: {report.accounts:,} accounts x {report.days} days",
        "",
        f"Commit `{report.commit}`, {report.machine}, started {report.started_at}; "
        f"{report.events:,} product events ({report.events_per_user_day:g} per active user-day); "
        f"health window {report.window_days} days.",
        "",
        "| phase | wall s | spread (runs) | CPU s | rows | rows/s | peak MiB | load | note |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for p in report.phases:
        rate = f"{p.rows_per_second:,.0f}" if p.rows_per_second else "-"
        lines.append(
            f"| {p.name} | {p.wall_seconds:,.1f} | {f'{p.spread} ({p.runs})' if p.spread else '-'} | "
            f"{p.cpu_seconds:,.1f} | {p.rows_processed or 0:,} | "
            f"{rate} | {p.peak_memory_mib:,.0f} | {p.load_average:.1f} | {p.note} |"
        )
    if report.failed:
        lines += ["", f"**Stopped: {report.failed}** The phases after it did not run."]
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in report.ratios.items()]
    if report.intraday:
        lines += ["", "Intraday (one hour of events lands at 10:01, the sensor ticks at 10:05):", ""]
        lines += ["| figure | value |", "|---|---:|"]
        lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in report.intraday.items()]
    if report.dashboard:
        lines += ["", "Dashboard pages on the publication (seconds to compute a page; median, spread):", ""]
        lines += ["| page | first visit | spread | next visit |", "|---|---:|---|---:|"]
        lines += [
            f"| {page} | {v['first_visit']['median']:.2f} | {v['first_visit']['spread'] or '-'} | "
            f"{v['next_visit']['median']:.2f} |"
            for page, v in report.dashboard.items()
        ]
    lines += [
        "",
        "CPU s: CPU time of the phase's processes (barely affected by other work on the machine);",
        "load: 1-minute load average at the end of the phase (2 cores: above 2, wall times are inflated).",
        "",
        "Where the time goes (slowest dbt nodes per phase, seconds):",
        "",
    ]
    for p in report.phases:
        if p.slowest:
            nodes = ", ".join(f"{name} {seconds:.1f}" for name, seconds in p.slowest)
            lines.append(f"- {p.name}: {nodes}")
    return "\n".join(lines) + "\n"
