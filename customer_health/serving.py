"""Safe serving for BI: publish the public marts to a read-only DuckDB file per build.

    python -m customer_health.serving publish [--duckdb-path X] [--serving-dir D]
        [--run-results target/run_results.json] [--validate START END]
    python -m customer_health.serving path [--serving-dir D]
    python -m customer_health.serving info [--serving-dir D]

BI tools never open the warehouse file that dbt writes (DuckDB allows one writing process
per file and a reader would wait or fail while a build runs). After a successful build,
`publish` copies the public marts (schema `marts`: dim_account, fct_*, dq_*) into a new
DuckDB file, written under a temporary name, closed and fsynced, then renamed into
`<serving>/publications/`. The pointer `<serving>/current.duckdb` (a symlink) is then
swapped to it with one atomic `os.replace`, and `<serving>/CURRENT` (the file name, for
tools that do not follow symlinks) the same way. A reader that opens the pointer gets
either the previous publication or the new one, each complete; a reader that has a
publication open keeps reading it (files are never modified after publication, and old
ones are removed only after `keep` newer ones and a grace period).

Each publication records `_serving.publication` (one row: publication_id, published_at,
definition_version, as_of_start, as_of_end, row_counts as JSON, source file) and
`_serving.table_row_counts` (table_name, row_count, content_hash: an order-independent
hash of the table's rows, equal to the same aggregate over the source table).

In production the Dagster asset `serving/health_marts` publishes after the run's blocking
checks passed (orchestration/serving); the command line below re-publishes by hand.
Publication ids start with the time of publication (the project's clock, HEALTH_NOW, to
the microsecond) and always sort after the previous one, so names sort by time.

Layout of the serving directory (default $HEALTH_SERVING_DIR, else <project>/serving,
which git ignores):

    serving/
      current.duckdb -> publications/health-20261122T223000Z-1a2b3c4d.duckdb
      CURRENT                 the current publication's file name
      publications/           one immutable DuckDB file per publication
      publish.lock            one publisher at a time
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock

from customer_health import config
from customer_health.safety import parse_window, safe_identifier

SOURCE_SCHEMA = "marts"
PUBLIC_MART = re.compile(r"^(dim|fct|dq)_[a-z0-9_]+$")
SAFE_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REQUIRED_MARTS = ("fct_account_health_daily",)
POINTER = "current.duckdb"
POINTER_TEXT = "CURRENT"
PUBLICATIONS = "publications"
KEEP_PUBLICATIONS = 3
GRACE_SECONDS = 300.0
OK_STATUSES = {"success", "pass", "skipped", "warn", "no-op"}


class PublishRefused(RuntimeError):
    """The build is not fit to serve; the current publication stays as it is."""


ID_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"


def default_serving_dir() -> Path:
    return config.serving_dir()


def content_hash_sql(relation: str) -> str:
    """An order-independent hash of a table's rows (the same on source and copy)."""
    return f"select count(*), cast(coalesce(sum(hash(t)), 0) as varchar) from {relation} as t"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text)
    _fsync(tmp)
    os.replace(tmp, path)


def check_run_results(run_results: Path) -> None:
    """Refuse to publish after a dbt invocation that had any error or failure."""
    try:
        results = json.loads(Path(run_results).read_text())["results"]
    except (OSError, ValueError, KeyError) as error:
        raise PublishRefused(f"cannot read dbt run results {run_results}: {error}") from error
    bad = [
        f"{r.get('unique_id')}: {r.get('status')}" for r in results if str(r.get("status")) not in OK_STATUSES
    ]
    if bad:
        raise PublishRefused(f"the build did not succeed ({len(bad)} nodes): " + "; ".join(bad[:5]))


def _public_marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = 'src' and schema_name = ? "
        "union select view_name from duckdb_views() where database_name = 'src' and schema_name = ? "
        "order by 1",
        [SOURCE_SCHEMA, SOURCE_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows if PUBLIC_MART.match(name)]


def _copy_comments(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Keep the dbt descriptions (persist_docs) for BI tools that show them."""
    table_comment = con.execute(
        "select comment from duckdb_tables() where database_name = 'src' and schema_name = ? "
        "and table_name = ? "
        "union all select comment from duckdb_views() where database_name = 'src' and schema_name = ? "
        "and view_name = ?",
        [SOURCE_SCHEMA, table, SOURCE_SCHEMA, table],
    ).fetchone()
    if table_comment and table_comment[0]:
        con.execute(f"comment on table marts.{table} is {_literal(table_comment[0])}")
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'src' and schema_name = ? "
        "and table_name = ? and comment is not null",
        [SOURCE_SCHEMA, table],
    ).fetchall():
        if SAFE_COLUMN.match(column):
            con.execute(f'comment on column marts.{table}."{column}" is {_literal(comment)}')


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _copy_tables(
    con: duckdb.DuckDBPyConnection,
    marts: list[str],
    base: Path | None,
    window: tuple[dt.date, dt.date] | None,
    daily_tables: Mapping[str, str],
) -> None:
    """Fill schema marts of `con` from the attached warehouse `src`.

    From scratch, every table is copied whole. From a copy of the previous publication
    (`base`) and the run's window, a daily mart gets only the window's days replaced (a run
    changes no other day of it) and every other mart is copied whole; a table whose columns
    changed is copied whole too."""
    own = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    existing = set() if base is None else _tables(con, own)
    if base is None:
        con.execute("create schema marts")
    for stale in sorted(existing - set(marts)):
        con.execute(f"drop table marts.{safe_identifier(stale)}")
    for table in marts:
        name = safe_identifier(table, "mart name")
        day = daily_tables.get(name)
        if (
            window is not None
            and day is not None
            and name in existing
            and _columns(con, own, name) == _columns(con, "src", name)
        ):
            column = safe_identifier(day, "day column")
            con.execute(f"delete from marts.{name} where {column} between ? and ?", list(window))
            con.execute(
                f"insert into marts.{name} select * from src.{SOURCE_SCHEMA}.{name} "
                f"where {column} between ? and ?",
                list(window),
            )
            if _count(con, f"marts.{name}") == _count(con, f"src.{SOURCE_SCHEMA}.{name}"):
                continue  # else other days changed too (a build outside the pipeline): copy whole
        con.execute(f"create or replace table marts.{name} as select * from src.{SOURCE_SCHEMA}.{name}")
        _copy_comments(con, name)


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"select count(*) from {relation}").fetchone()[0])  # type: ignore[index]


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ?",
        [database, SOURCE_SCHEMA],
    ).fetchall()
    return {name for (name,) in rows}


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index",
        [database, SOURCE_SCHEMA, table],
    ).fetchall()


def _write_publication(
    source: Path,
    target: Path,
    publication_id: str,
    published_at: dt.datetime,
    base: Path | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    daily_tables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    if base is not None:
        shutil.copyfile(base, target)
    con = duckdb.connect(str(target))
    try:
        con.execute("attach ? as src (read_only)", [str(source)])
        marts = _public_marts(con)
        missing = [m for m in REQUIRED_MARTS if m not in marts]
        if missing:
            raise PublishRefused(f"the warehouse has no {', '.join(missing)}: nothing to serve")
        if base is not None:
            con.execute("drop schema if exists _serving cascade")
        _copy_tables(con, marts, base, window, daily_tables or {})
        counts = {name: _count(con, f"marts.{safe_identifier(name)}") for name in marts}
        as_of_start, as_of_end = con.execute(
            "select min(as_of_date), max(as_of_date) from marts.fct_account_health_daily"
        ).fetchone()  # type: ignore[misc]
        versions = [
            v
            for (v,) in con.execute(
                "select distinct definition_version from marts.fct_account_health_daily order by 1"
            ).fetchall()
        ]
        latest = con.execute(
            "select min(definition_version) from marts.fct_account_health_daily where as_of_date = ?",
            [as_of_end],
        ).fetchone()[0]  # type: ignore[index]
        con.execute("detach src")
        meta = {
            "publication_id": publication_id,
            "published_at": published_at,
            "definition_version": latest,
            "definition_versions": ",".join(v for v in versions if v),
            "as_of_start": as_of_start,
            "as_of_end": as_of_end,
            "row_counts": json.dumps(counts, sort_keys=True),
            "source_path": _warehouse_identity(source),
        }
        con.execute("create schema _serving")
        con.execute(
            """
            create table _serving.publication (
                publication_id varchar not null,
                published_at timestamp not null,
                definition_version varchar,
                definition_versions varchar,
                as_of_start date,
                as_of_end date,
                row_counts varchar not null,
                source_path varchar
            )
            """
        )
        # The columns in the order of `meta`.
        con.execute("insert into _serving.publication values (?, ?, ?, ?, ?, ?, ?, ?)", list(meta.values()))
        con.execute(
            "create table _serving.table_row_counts (table_name varchar not null, row_count bigint not null)"
        )
        con.executemany("insert into _serving.table_row_counts values (?, ?)", sorted(counts.items()))
        con.execute(
            "comment on table _serving.publication is 'The publication this file holds: when, which "
            "definition_version and as-of range, and the row count of every table.'"
        )
        con.execute("checkpoint")
    finally:
        con.close()
    return {**meta, "row_counts": counts}


def publish(
    duckdb_path: Path | str,
    serving_dir: Path | str | None = None,
    *,
    run_results: Path | str | None = None,
    validate_window: tuple[Any, Any] | None = None,
    keep: int = KEEP_PUBLICATIONS,
    window: tuple[dt.date, dt.date] | None = None,
    daily_tables: Mapping[str, str] | None = None,
) -> Path:
    """Publish the public marts of `duckdb_path` and make them the current publication.

    Call only after a successful build. With `run_results` (dbt's run_results.json) the
    build's success is checked; with `validate_window` (start, end) the blocking GX mart
    suites run first. On any refusal or error the current publication is left as it was.
    With the run's `window` and the day column of each daily mart (`daily_tables`), a
    publication starts from a copy of the current one made from the same warehouse file
    and replaces only the window's days of the daily marts (docs/serving.md).
    Returns the path of the new publication file."""
    source = Path(duckdb_path).resolve()
    if not source.exists():
        raise FileNotFoundError(f"warehouse file not found: {source}")
    if run_results is not None:
        check_run_results(Path(run_results))
    if validate_window is not None:
        from customer_health.quality import validate_marts

        start, end = parse_window(*validate_window)
        quality = validate_marts(source, start, end)
        if not quality.success:
            raise PublishRefused("mart quality checks failed: " + ", ".join(quality.failed_suites))
    serving = Path(serving_dir or default_serving_dir()).resolve()
    publications = serving / PUBLICATIONS
    publications.mkdir(parents=True, exist_ok=True)
    with FileLock(str(serving / "publish.lock")):
        published_at = _publication_time(publications)
        publication_id = f"{published_at:{ID_TIME_FORMAT}}-{uuid.uuid4().hex[:8]}"
        final = publications / f"health-{publication_id}.duckdb"
        tmp = publications / f".building-{publication_id}.duckdb"
        try:
            base = _reusable_base(serving, source) if window is not None else None
            _write_publication(source, tmp, publication_id, published_at, base, window, daily_tables)
            _fsync(tmp)
            os.rename(tmp, final)
            _fsync(publications)
            _swap_pointer(serving, final)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                if leftover.exists():
                    leftover.unlink()
        _prune(serving, keep)
    return final


def _warehouse_identity(source: Path) -> str:
    """The warehouse file as a publication remembers it: path and inode (a regenerated file
    at the same path is another warehouse)."""
    return f"{source}#{source.stat().st_ino}"


def _reusable_base(serving: Path, source: Path) -> Path | None:
    """The current publication, when it was made from this very warehouse file."""
    current = current_path(serving)
    if current is None or not current.exists():
        return None
    try:
        with duckdb.connect(str(current), read_only=True) as con:
            made_from = con.execute("select source_path from _serving.publication").fetchone()[0]  # type: ignore[index]
    except duckdb.Error:
        return None
    return current if made_from == _warehouse_identity(source) else None


def _publication_time(publications: Path) -> dt.datetime:
    """The project's clock, moved past the newest publication's time when it is not later
    (a fixed HEALTH_NOW, or several publications within a microsecond): names sort by time."""
    published_at = config.now_naive()
    for path in sorted(publications.glob("health-*.duckdb"), reverse=True):
        try:
            newest = dt.datetime.strptime(path.name.split("-")[1], ID_TIME_FORMAT)
        except (IndexError, ValueError):
            continue
        if published_at <= newest:
            published_at = newest + dt.timedelta(microseconds=1)
        break
    return published_at


def _swap_pointer(serving: Path, publication: Path) -> None:
    relative = os.path.relpath(publication, serving)
    link_tmp = serving / f".{POINTER}.{uuid.uuid4().hex[:8]}.tmp"
    os.symlink(relative, link_tmp)
    os.replace(link_tmp, serving / POINTER)
    _atomic_write_text(serving / POINTER_TEXT, publication.name + "\n")
    _fsync(serving)


def _prune(serving: Path, keep: int) -> None:
    """Remove publications older than the `keep` newest, once past the grace period (a
    reader may have resolved the pointer just before a swap and not opened it yet)."""
    current = current_path(serving)
    files = sorted((serving / PUBLICATIONS).glob("health-*.duckdb"), key=lambda p: p.name)
    # Real time, not the project's clock: it is compared with the files' real modification
    # times, and a reader holding an old publication open lives in real time too.
    now = time.time()
    for old in files[: max(0, len(files) - keep)]:
        if old == current or now - old.stat().st_mtime < GRACE_SECONDS:
            continue
        old.unlink(missing_ok=True)


def current_path(serving_dir: Path | str | None = None) -> Path | None:
    """The current publication file (resolved), or None before the first publication."""
    serving = Path(serving_dir or default_serving_dir())
    pointer = serving / POINTER
    if pointer.is_symlink() or pointer.exists():
        return pointer.resolve()
    text = serving / POINTER_TEXT
    if text.exists():
        return (serving / PUBLICATIONS / text.read_text().strip()).resolve()
    return None


def connect(serving_dir: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current publication."""
    path = current_path(serving_dir)
    if path is None:
        raise FileNotFoundError(f"nothing published yet in {serving_dir or default_serving_dir()}")
    return duckdb.connect(str(path), read_only=True)


def publication_info(serving_dir: Path | str | None = None) -> Mapping[str, Any]:
    con = connect(serving_dir)
    try:
        cursor = con.execute("select * from _serving.publication")
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        info = dict(zip(names, row, strict=True)) if row else {}
        info["row_counts"] = json.loads(info.get("row_counts") or "{}")
        return info
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish the public marts for BI (read-only copies).")
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="publish the marts of the warehouse (after a successful build)")
    pub.add_argument("--duckdb-path", type=Path, default=None, help="default: $HEALTH_DUCKDB_PATH")
    pub.add_argument(
        "--serving-dir", type=Path, default=None, help="default: $HEALTH_SERVING_DIR or ./serving"
    )
    pub.add_argument("--run-results", type=Path, default=None, help="dbt run_results.json to check first")
    pub.add_argument("--validate", nargs=2, metavar=("START", "END"), help="run the GX mart suites first")
    pub.add_argument("--keep", type=int, default=KEEP_PUBLICATIONS)
    for name, text in (
        ("path", "print the current publication file"),
        ("info", "print its _serving.publication"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--serving-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    try:
        if args.command == "publish":
            path = publish(
                args.duckdb_path or config.warehouse_path(),
                args.serving_dir,
                run_results=args.run_results,
                validate_window=tuple(args.validate) if args.validate else None,
                keep=args.keep,
            )
            print(path)
        elif args.command == "path":
            current = current_path(args.serving_dir)
            if current is None:
                print("nothing published yet", file=sys.stderr)
                return 1
            print(current)
        else:
            print(json.dumps(publication_info(args.serving_dir), indent=2, default=str))
    except PublishRefused as error:
        print(f"serving: not published: {error}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError, duckdb.Error) as error:
        print(f"serving: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
