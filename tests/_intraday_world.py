"""The live day of tests/test_intraday.py: its clock (the last finished day, today, the
landing, the intraday tick and the nightly run), the account whose usage collapses today
(`reshape_usage`), the events landed in the morning and the afternoon, the queries the
checks read, and the two-table raw world of the sensor test."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
from conftest import END_DATE

from healthgen.landing import LandedEvent, land_events

DAY = END_DATE  # the last finished day of the generated data
TODAY = DAY + dt.timedelta(days=1)
LANDED_AT = dt.datetime.combine(TODAY, dt.time(10, 1))
INTRADAY_AT = dt.datetime.combine(TODAY, dt.time(10, 5), tzinfo=dt.UTC)
NIGHTLY_AT = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(3, 0), tzinfo=dt.UTC)


def query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def defs_now():
    from orchestration.definitions import build_definitions

    return build_definitions()


PICK_ACCOUNT_SQL = """
with users as (
    select * from product.users
    qualify row_number() over (partition by id order by _loaded_at desc) = 1
),

customers as (
    select id, json_extract_string(metadata, '$.crm_account_id') as account_id
    from billing.customer
    where json_valid(metadata)
    qualify row_number() over (partition by id order by _loaded_at desc) = 1
),

paying as (
    select distinct customers.account_id
    from billing.subscription as subscriptions
    inner join customers on subscriptions.customer_id = customers.id
    where subscriptions.status = 'active'
        and subscriptions.ended_at is null
        and subscriptions.current_period_end > ?
),

licensed as (
    select account_id, count(*) as users
    from users
    where is_licensed and deactivated_at is null and account_id is not null
    group by account_id
)

select licensed.account_id
from licensed
inner join paying on licensed.account_id = paying.account_id
inner join crm.account as accounts on accounts.id = licensed.account_id
where not accounts.is_deleted and licensed.users >= 4
order by accounts.parent_id is null, licensed.users desc, licensed.account_id
limit 1
"""


def account_x(path: Path) -> tuple[str, list[str]]:
    """Account X (a paying account with four licensed users or more, a child of a hierarchy
    if one qualifies) and its licensed users; `reshape_usage` leaves both as they are."""
    with duckdb.connect(str(path), read_only=True) as connection:
        (account_id,) = connection.execute(PICK_ACCOUNT_SQL, [TODAY + dt.timedelta(days=2)]).fetchone()
        users = [
            user_id
            for (user_id,) in connection.execute(
                """
                select id from product.users
                where account_id = ? and is_licensed and deactivated_at is null
                qualify row_number() over (partition by id order by _loaded_at desc) = 1
                order by id
                """,
                [account_id],
            ).fetchall()
        ]
    return account_id, users


def reshape_usage(path: Path) -> None:
    """Account X, whose usage collapses: its events of the last 59 days are removed, except
    a burst on DAY-29 (every licensed user, every key feature). On DAY its 30-day window
    still holds the burst (no alert); on TODAY only this morning's users are left, against
    the burst 30 days earlier: a usage (engagement) alert opens today.
    Done to the session warehouse's raw data before its build (tests/conftest.py), as if
    the loader had delivered it so; the live day of tests/test_intraday.py starts from it."""
    account_id, users = account_x(path)
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            """
            delete from product.tracks
            where "timestamp" >= ?
                and user_id in (select id from product.users where account_id = ?)
            """,
            [dt.datetime.combine(DAY - dt.timedelta(days=58), dt.time()), account_id],
        )
    features = [
        line.split(",")[:2]
        for line in (Path(__file__).parents[1] / "seeds" / "definitions" / "product_features.csv")
        .read_text()
        .splitlines()[1:]
        if line.endswith(",true")
    ]
    burst_day = dt.datetime.combine(DAY - dt.timedelta(days=29), dt.time(10, 0))
    land_events(
        path,
        [
            LandedEvent(
                id=f"burst-{index}-{number}",
                user_id=user_id,
                occurred_at=burst_day + dt.timedelta(minutes=number),
                loaded_at=burst_day + dt.timedelta(hours=3),
                event="feature_used",
                feature=feature,
                product_id=product_id,
            )
            for index, user_id in enumerate(users)
            for number, (product_id, feature) in enumerate(features)
        ],
    )


def morning_events(users: list[str]) -> list[LandedEvent]:
    """This morning: two of X's licensed users, 09:00-09:50, landed at 10:01."""
    times = {users[0]: (0, 20, 50), users[1]: (10, 40)}
    return [
        LandedEvent(
            id=f"morning-{user_id}-{minute}",
            user_id=user_id,
            occurred_at=dt.datetime.combine(TODAY, dt.time(9, minute)),
            loaded_at=LANDED_AT,
            event="session_started",
        )
        for user_id, minutes in times.items()
        for minute in minutes
    ]


def afternoon_events(users: list[str]) -> list[LandedEvent]:
    """Later today, after the intraday run: a third user at 15:00, landed at 15:10."""
    return [
        LandedEvent(
            id=f"afternoon-{users[2]}",
            user_id=users[2],
            occurred_at=dt.datetime.combine(TODAY, dt.time(15, 0)),
            loaded_at=dt.datetime.combine(TODAY, dt.time(15, 10)),
            event="session_started",
        )
    ]


def utilization(path: Path, account_id: str, day: dt.date) -> tuple[float, float, bool]:
    [(raw_value, seats, is_partial)] = query(
        path,
        """
        select indicators.raw_value, health.licensed_seats, indicators.is_partial_day
        from marts.fct_indicator_scores_daily as indicators
        inner join marts.fct_account_health_daily as health
            on indicators.account_id = health.account_id and indicators.as_of_date = health.as_of_date
        where indicators.account_id = ? and indicators.as_of_date = ?
            and indicators.indicator_id = 'license_utilization'
        """,
        [account_id, day],
    )
    return raw_value, seats, is_partial


def usage_alerts(path: Path, account_id: str) -> list[tuple]:
    return query(
        path,
        "select alert_id, opened_on, is_open from marts.fct_health_alerts "
        "where account_id = ? and alert_type = 'engagement_drop' order by opened_on",
        [account_id],
    )


def outbox_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["alert_id"] for line in path.read_text().splitlines() if line.strip()]


def day_rows(path: Path, table: str, day: dt.date) -> list[tuple]:
    return sorted(
        query(path, f"select * exclude (computed_at) from marts.{table} where as_of_date = ?", [day]),
        key=repr,
    )


RAW_TABLES = {
    "crm.account": "crm.account",
    "product.tracks": "product.tracks",
}


def raw_world(path: Path, loaded_at: dt.datetime) -> None:
    """The sensor test's raw world: each of RAW_TABLES with one row loaded at `loaded_at`."""
    with duckdb.connect(str(path)) as connection:
        for relation in RAW_TABLES.values():
            schema = relation.split(".")[0]
            connection.execute(f"create schema if not exists {schema}")
            connection.execute(f"create table {relation} (id varchar, _loaded_at timestamp)")
            connection.execute(f"insert into {relation} values ('a', ?)", [loaded_at])


def land_row(path: Path, relation: str, loaded_at: dt.datetime) -> None:
    """One more row in `relation`, loaded at `loaded_at`."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"insert into {relation} values ('b', ?)", [loaded_at])
