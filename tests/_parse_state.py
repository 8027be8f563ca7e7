"""One dbt parse state per test process: the test worlds share dbt's partial parsing.

dbt keeps its parse state (partial_parse.msgpack) only for the profile it was made with,
and the DuckDB path is part of the profile. Every test world is a new file, so the first
dbt invocation of every world parsed the whole project again: 8-12 s, about 40 times in
one run of the suite (docs/decisions/0007). Here a world whose file is named
`health.duckdb` is given to dbt as one path per test process, `<alias>/world/health.duckdb`,
where `world` is a directory symlink pointed at the world's directory for the time of the
invocation. DuckDB writes its write-ahead log next to the path it was given, which the
directory symlink resolves into the world's own directory: the log stays with its file,
whatever points where later. The parse state is copied into each invocation's target
directory before it and back after it, as dagster-dbt does between the invocations of one
world (orchestration/dbt/assets.py).

Each dbt project (a test may run a changed copy) has its own state. Nothing is shared
when it could be wrong: a file of another name, or another world while one is in use
(nested), run on their real path, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

NAME = "health.duckdb"
PROJECT = Path(__file__).resolve().parent.parent
STATE = "partial_parse.msgpack"
# Where this process keeps the alias and the state: its pytest temporary directory
# (tests/conftest.py sets it; pytest keeps the last few and removes older ones).
ROOT: Path | None = None
_held: list[Path] = []


def _alias_root() -> Path:
    root = ROOT or Path(tempfile.gettempdir()) / f"health-dbt-parse-state-{os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _point(link: Path, directory: Path) -> None:
    """Re-point the symlink `link` at `directory` atomically."""
    if link.is_symlink() and Path(os.readlink(link)) == directory:
        return
    staged = link.with_name(f".{link.name}.{os.getpid()}")
    staged.unlink(missing_ok=True)
    staged.symlink_to(directory, target_is_directory=True)
    os.replace(staged, link)


@contextlib.contextmanager
def dbt_path(warehouse: Path, shareable: bool = True) -> Iterator[tuple[Path, bool]]:
    """The path to give dbt for `warehouse`, and whether it shares the parse state."""
    warehouse = Path(warehouse)
    if not shareable or warehouse.name != NAME or any(held != warehouse for held in _held):
        yield warehouse, False
        return
    link = _alias_root() / "world"
    _point(link, warehouse.parent.resolve())
    _held.append(warehouse)
    try:
        yield link / NAME, True
    finally:
        _held.remove(warehouse)


def _shared(project: Path) -> Path:
    """The shared state of one dbt project (a test may run a changed copy of it)."""
    return _alias_root() / f"{hashlib.sha1(str(project).encode()).hexdigest()[:12]}-{STATE}"


def seed(target: Path, project: Path) -> None:
    """Give an invocation's target directory the shared parse state (when it has none). A
    changed copy of the project without a state of its own starts from the project's: dbt
    re-parses only the files that differ (its file ids are relative to the project), as a
    run after a deploy does from the state the run before it kept."""
    shared = _shared(project)
    if not shared.exists():
        shared = _shared(PROJECT)
    if shared.exists() and not (target / STATE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared, target / STATE)


def keep(target: Path, project: Path) -> None:
    """Keep the parse state an invocation left in `target` for the next world."""
    state = target / STATE
    if state.exists():
        staged = _alias_root() / f".{STATE}.{os.getpid()}"
        shutil.copyfile(state, staged)
        os.replace(staged, _shared(project))
