"""Land product events during the day, as the ELT loader does between two nightly runs.

    python -m healthgen.landing --duckdb-path W --hour 2026-11-22T09:00 [--loaded-at 2026-11-22T10:01]

`land_hour` appends one hour of new events to product.tracks: 1/24 of an average day of
the week before (1/168 of its events, so weekends and weekdays weigh as they do), each moved
into the hour, with a new message id and the given `_loaded_at` (default: one minute after
the hour).
Only users who still exist and hold no deactivated seat at the hour are copied. The same
arguments append the same rows. `land_events` appends events given one by one (tests).
Nothing else is touched: the raw tables stay what a loader would have written.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

TRACKS = "product.tracks"
TRACKS_COLUMNS = ("id", "user_id", "event", "feature", "product_id", "timestamp", "received_at", "_loaded_at")
SOURCE_DAYS = 7  # the week before the hour
SHARE = 24 * SOURCE_DAYS  # one hour of an average day of that week


@dataclass(frozen=True)
class LandedEvent:
    """One product event as the loader lands it (the product.tracks contract)."""

    id: str
    user_id: str
    occurred_at: dt.datetime
    loaded_at: dt.datetime
    event: str = "report_viewed"
    feature: str | None = None
    product_id: str | None = None

    def row(self) -> tuple[object, ...]:
        received = self.occurred_at + dt.timedelta(seconds=2)
        return (
            self.id,
            self.user_id,
            self.event,
            self.feature,
            self.product_id,
            self.occurred_at,
            received,
            self.loaded_at,
        )


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)


def land_events(duckdb_path: Path | str, events: Iterable[LandedEvent]) -> int:
    """Append the given events to product.tracks; the number appended."""
    rows = [event.row() for event in events]
    if not rows:
        return 0
    with duckdb.connect(str(duckdb_path)) as connection:
        columns = ", ".join(map(_quoted, TRACKS_COLUMNS))
        connection.executemany(
            f"insert into {TRACKS} ({columns}) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [[_naive_utc(v) if isinstance(v, dt.datetime) else v for v in row] for row in rows],
        )
    return len(rows)


def _quoted(column: str) -> str:
    return f'"{column}"'


LAND_HOUR_SQL = f"""
insert into {TRACKS} ({", ".join(map(_quoted, TRACKS_COLUMNS))})
with

source_week as (
    select tracks.*
    from {TRACKS} as tracks
    where tracks."timestamp" >= cast($source_start as timestamp)
        and tracks."timestamp" < cast($source_start as timestamp) + interval {SOURCE_DAYS} day
        and tracks.id is not null
        and hash(tracks.id, $hour_start) % {SHARE} = 0
),

-- The latest delivery of each user; users gone or deactivated by the hour do not return.
users as (
    select id, deactivated_at
    from product.users
    qualify row_number() over (partition by id order by _loaded_at desc) = 1
),

moved as (
    select
        upper(substr(md5(source_week.id || '@' || cast($hour_start as varchar)), 1, 16)) as id,
        source_week.user_id,
        source_week.event,
        source_week.feature,
        source_week.product_id,
        cast($hour_start as timestamp)
        + to_seconds(epoch(source_week."timestamp")::bigint % 3600) as "timestamp"
    from source_week
    inner join users
        on source_week.user_id = users.id
    where users.deactivated_at is null or users.deactivated_at > cast($hour_start as timestamp)
)

select
    id,
    user_id,
    event,
    feature,
    product_id,
    "timestamp",
    "timestamp" + to_seconds(1 + hash(id) % 30) as received_at,
    cast($loaded_at as timestamp) as _loaded_at
from moved
"""


def land_hour(
    duckdb_path: Path | str,
    hour_start: dt.datetime,
    loaded_at: dt.datetime | None = None,
) -> int:
    """Append one hour of events (1/24 of an average day of the week before) starting at
    `hour_start`; the number of rows appended."""
    hour_start = _naive_utc(hour_start).replace(minute=0, second=0, microsecond=0)
    loaded_at = _naive_utc(loaded_at) if loaded_at else hour_start + dt.timedelta(hours=1, minutes=1)
    if loaded_at < hour_start:
        raise ValueError(f"events cannot be loaded ({loaded_at}) before they happen ({hour_start})")
    parameters = {
        "source_start": (hour_start - dt.timedelta(days=SOURCE_DAYS)).date(),
        "hour_start": hour_start,
        "loaded_at": loaded_at,
    }
    with duckdb.connect(str(duckdb_path)) as connection:
        before = _count(connection)
        connection.execute(LAND_HOUR_SQL, parameters)
        return _count(connection) - before


def _count(connection: duckdb.DuckDBPyConnection) -> int:
    row = connection.execute(f"select count(*) from {TRACKS}").fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m healthgen.landing", description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb-path", required=True)
    parser.add_argument(
        "--hour", required=True, type=dt.datetime.fromisoformat, help="start of the hour (UTC)"
    )
    parser.add_argument("--loaded-at", type=dt.datetime.fromisoformat, default=None)
    args = parser.parse_args(argv)
    appended = land_hour(args.duckdb_path, args.hour, args.loaded_at)
    print(f"landed {appended} events of {args.hour:%Y-%m-%d %H}:00 in {args.duckdb_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
