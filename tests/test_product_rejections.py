"""int_product_rejected_rows is incremental (strategy `recheck`): a run rechecks the users,
the events loaded since the last run and the events of users whose usability changed.

After a landing that changes verdicts in every way the raw contract allows (an account
deleted, an orphan user's account arriving, a user arriving for events that were loaded
before it, an event set aside by staging re-delivered fixed, new events of a known and of
an unknown user), the incremental run must leave exactly the rows a full rebuild computes.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from conftest import BUILD_NOW, run_dbt

MODEL = "intermediate.int_product_rejected_rows"
FIRST_LANDING = (BUILD_NOW + dt.timedelta(hours=1)).replace(tzinfo=None)
SECOND_LANDING = FIRST_LANDING + dt.timedelta(hours=1)
COLUMNS = "source_name, table_name, record_key, record_id, reason, loaded_at"


def rows(path) -> set[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return set(con.execute(f"select {COLUMNS} from {MODEL}").fetchall())


def one(con, sql: str, *params):
    found = con.execute(sql, params).fetchone()
    assert found is not None, f"the test world has no row for: {sql}"
    return found


def pick(path) -> dict[str, str]:
    """The records the landings change, chosen in the built world."""
    with duckdb.connect(str(path), read_only=True) as con:
        ids = {}
        # An account whose users have usable events.
        ids["account"] = one(
            con,
            """
            select users.account_id
            from intermediate.int_product_users_linked as users
            join intermediate.int_product_events_linked as events on events.user_id = users.user_id
            group by users.account_id
            order by count(*), users.account_id
            limit 1
            """,
        )[0]
        # A user set aside because its account is missing.
        ids["orphan_user"], ids["missing_account"] = one(
            con,
            f"""
            select users.user_id, users.account_id
            from {MODEL} as rejected
            join staging.base_product__users as users on users.record_key = rejected.record_key
            where rejected.table_name = 'users' and rejected.reason = 'orphan_account'
            order by users.user_id
            limit 1
            """,
        )
        # Events loaded before their user.
        ids["late_user"] = one(
            con,
            f"""
            select tracks.user_id
            from {MODEL} as rejected
            join staging.base_product__tracks as tracks on tracks.record_key = rejected.record_key
            where rejected.reason = 'unknown_user' and tracks.user_id is not null
                and tracks.user_id not in (select user_id from staging.base_product__users where user_id is not null)
            order by tracks.user_id
            limit 1
            """,
        )[0]
        # An event staging set aside for its timestamp.
        ids["fixed_event"] = one(
            con,
            f"""
            select record_id from {MODEL}
            where table_name = 'tracks' and reason in ('future_timestamp', 'null_timestamp')
            order by record_id
            limit 1
            """,
        )[0]
        ids["usable_user"], ids["usable_account"], ids["template_event"] = one(
            con,
            "select users.user_id, users.account_id, min(events.event_id) "
            "from intermediate.int_product_users_linked as users "
            "join intermediate.int_product_events_linked as events on events.user_id = users.user_id "
            "where users.account_id != ? group by all order by users.user_id limit 1",
            ids["account"],
        )
    return ids


def land_account(con, source_id: str, at: dt.datetime, **replace: object) -> None:
    """A new version of account `source_id` (or a new account copied from it)."""
    sets = ", ".join(f"? as {column}" for column in replace)
    con.execute(
        f"insert into crm.account select * replace ({sets}, ? as _loaded_at) "
        "from crm.account where id = ? order by _loaded_at desc limit 1",
        [*replace.values(), at, source_id],
    )


def land_event(con, template_event: str, event_id: str, user_id: str, at: dt.datetime) -> None:
    """A new event of `user_id`, otherwise a copy of `template_event`."""
    con.execute(
        "insert into product.tracks select * replace (? as id, ? as user_id, "
        '? - interval 1 hour as "timestamp", ? as _loaded_at) '
        "from product.tracks where id = ? order by _loaded_at desc limit 1",
        [event_id, user_id, at, at, template_event],
    )


def first_landing(path, ids: dict[str, str]) -> None:
    """The account is deleted upstream; the late user arrives on a usable account; the
    event set aside by staging is re-delivered fixed; new events of a known user, of an
    unknown user and of the orphan user."""
    at = FIRST_LANDING
    with duckdb.connect(str(path)) as con:
        land_account(con, ids["account"], at, is_deleted=True)
        con.execute(
            "insert into product.users select * replace (? as id, ? as account_id, ? as _loaded_at) "
            "from product.users where id = ? order by _loaded_at desc limit 1",
            [ids["late_user"], ids["usable_account"], at, ids["usable_user"]],
        )
        con.execute(
            'insert into product.tracks select * replace (? - interval 1 day as "timestamp", ? as _loaded_at) '
            "from product.tracks where id = ? order by _loaded_at desc limit 1",
            [at, at, ids["fixed_event"]],
        )
        for event_id, user_id in (
            ("evt_new_known", ids["usable_user"]),
            ("evt_new_unknown", "u_never_seen"),
            ("evt_of_orphan", ids["orphan_user"]),
        ):
            land_event(con, ids["template_event"], event_id, user_id, at)


def second_landing(path, ids: dict[str, str]) -> None:
    """The deleted account is restored; the orphan user's account arrives."""
    at = SECOND_LANDING
    with duckdb.connect(str(path)) as con:
        land_account(con, ids["account"], at, is_deleted=False)
        land_account(con, ids["usable_account"], at, id=ids["missing_account"], parent_id=None)


def unknown_user_events(con, user_sql: str, *params) -> int:
    return con.execute(
        f"select count(*) from {MODEL} as rejected "
        "join staging.base_product__tracks as t on t.record_key = rejected.record_key "
        f"where rejected.reason = 'unknown_user' and t.user_id in ({user_sql})",
        params,
    ).fetchone()[0]


def test_the_incremental_recheck_equals_a_full_rebuild(built_warehouse, tmp_path):
    world = built_warehouse.copy_to(tmp_path)
    ids = pick(world)
    users_of_account = "select user_id from staging.base_product__users where account_id = ?"
    run = ["run", "--select", "+int_product_rejected_rows"]

    first_landing(world, ids)
    run_dbt(run, world, tmp_path / "dbt")
    with duckdb.connect(str(world), read_only=True) as con:
        assert unknown_user_events(con, users_of_account, ids["account"]) > 0, "the deleted account's events"
        assert unknown_user_events(con, "?", ids["late_user"]) == 0, "the late user's events"
        assert unknown_user_events(con, "?", ids["orphan_user"]) == 1, "the orphan user's new event"
        reasons = dict(
            con.execute(f"select record_id, reason from {MODEL} where table_name = 'tracks'").fetchall()
        )
        checked = con.execute(f"select max(checked_through) from {MODEL}").fetchone()[0]
    assert reasons.get(ids["fixed_event"]) in (None, "unknown_user"), "the fixed event keeps its old reason"
    assert reasons.get("evt_new_unknown") == "unknown_user" and "evt_new_known" not in reasons
    assert checked == FIRST_LANDING, "the run did not record how far it checked"

    second_landing(world, ids)
    run_dbt(run, world, tmp_path / "dbt")
    with duckdb.connect(str(world), read_only=True) as con:
        assert unknown_user_events(con, users_of_account, ids["account"]) == 0, (
            "the restored account's events"
        )
        assert unknown_user_events(con, "?", ids["orphan_user"]) == 0, (
            "the orphan user's events, account arrived"
        )

    # The reference: the same world, the table rebuilt from scratch (same profile and target
    # directory: dbt parses the project once for the three invocations).
    incremental = rows(world)
    run_dbt(["run", "--select", "int_product_rejected_rows", "--full-refresh"], world, tmp_path / "dbt")
    assert incremental == rows(world), "the incremental recheck differs from a full rebuild"
