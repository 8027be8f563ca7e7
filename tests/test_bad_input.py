"""Bad input: generated data with every bad-row kind of the raw contract at a high rate.

The build succeeds; every planted bad record is set aside in dq_rejected_rows with the
right reason, reported in dq_hierarchy_issues, or correctly resolved (re-delivered
duplicates -> the latest version, soft deletes -> deleted); rows are conserved for every
table; and no mart row is affected: the health marts are identical, row for row, to a
build of the same book of business without any bad row.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import BUILD_NOW, END_DATE, PROJECT_DIR, generate, run_dbt, window_vars

from healthgen.bad import ALL_KINDS

BAD = {"accounts": 60, "days": 120, "seed": 5, "bad_rows_rate": 0.25}
WINDOW = (END_DATE - dt.timedelta(days=4), END_DATE)
HEALTH_MARTS = ["fct_account_health_daily", "fct_indicator_scores_daily"]

# What each planted kind must become.
REASON = {
    "null_timestamp": "null_timestamp",
    "future_timestamp": "future_timestamp",
    "nonpositive_amount": "nonpositive_amount",
    "nps_out_of_range": "nps_out_of_range",
    "malformed_metadata": "malformed_metadata",
    "missing_metadata": "missing_crm_account_id",
    "unknown_user": "unknown_user",
    "unknown_band": "unknown_band",
    "score_out_of_range": "score_out_of_range",
    "end_before_start": "end_before_start",
}
ORPHAN_REASON = {
    "crm.contact": "orphan_account",
    "crm.opportunity": "orphan_account",
    "crm.event": "orphan_account",
    "crm.success_goal": "orphan_account",
    "product.users": "orphan_account",
    "billing.subscription": "orphan_customer",
    "billing.invoice": "orphan_customer",
    "billing.subscription_item": "orphan_subscription",
    "support.ticket": "orphan_organization",
    "crm.health_override__c": "orphan_account",
}
HIERARCHY_REASON = {
    "hierarchy_cycle": "cycle",
    "self_parent": "self_parent",
    "missing_parent": "missing_parent",
}
RESOLVED = {"duplicate_older", "duplicate_newer", "soft_deleted"}

REGISTRY = {
    f"{source}.{table}": (base, key)
    for source, table, base, key, _ in re.findall(
        r"'source_name': '(\w+)', 'table_name': '(\w+)', 'base_model': '(\w+)', 'key': '(\w+)', "
        r"'usable_model': '(\w+)'",
        (PROJECT_DIR / "macros" / "staging_tables.sql").read_text(),
    )
}
# The relation downstream models read for each raw table: the staging model, or the
# intermediate model that keeps the staged rows whose links to other tables hold.
USABLE = {
    f"{source}.{table}": f"{'staging' if usable.startswith('stg_') else 'intermediate'}.{usable}"
    for source, table, usable in re.findall(
        r"'source_name': '(\w+)', 'table_name': '(\w+)', 'base_model': '\w+', 'key': '\w+', "
        r"'usable_model': '(\w+)'",
        (PROJECT_DIR / "macros" / "staging_tables.sql").read_text(),
    )
}


def content_hash(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    return con.execute(
        "select count(*), md5(coalesce(string_agg(row_text, '\n' order by row_text), '')) "
        f"from (select cast(t as varchar) as row_text from marts.{table} as t)"
    ).fetchone()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Path:
    """The book of business with every kind of bad row, built with `dbt build` (models and
    every data test: the build must succeed despite the dirt)."""
    base = tmp_path_factory.mktemp("bad_input")
    path = base / "health.duckdb"
    generate(path, **BAD)
    run_dbt(["build", "--vars", window_vars(*WINDOW)], path, base / "work")
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """The same book of business without any bad row: only the health marts and their
    parents (no tests), for the row-for-row comparison."""
    base = tmp_path_factory.mktemp("bad_input_clean")
    path = base / "health.duckdb"
    generate(path, **{**BAD, "bad_rows_rate": 0.0})
    select = ["--select", *(f"+{m}" for m in [*HEALTH_MARTS, "dq_rejected_rows"]),
              "--exclude", "resource_type:test", "resource_type:unit_test"]  # fmt: skip
    run_dbt(["build", *select, "--vars", window_vars(*WINDOW)], path, base / "work")
    return path


@pytest.fixture()
def con(dirty):
    connection = duckdb.connect(str(dirty), read_only=True)
    yield connection
    connection.close()


def test_every_kind_of_the_raw_contract_is_planted_and_has_an_expectation(con):
    planted = {k for (k,) in con.execute("select distinct kind from _demo.planted_bad_rows").fetchall()}
    assert planted == set(ALL_KINDS)
    handled = set(REASON) | set(HIERARCHY_REASON) | RESOLVED | {"orphan", "null_key"}
    assert set(ALL_KINDS) <= handled, f"no expectation for: {set(ALL_KINDS) - handled}"
    # at a high rate: every table carries its kinds, more than a token row each
    per_kind = con.execute(
        "select table_name, kind, count(*) from _demo.planted_bad_rows group by all"
    ).fetchall()
    assert sum(n for _, _, n in per_kind) > 10_000


def test_set_aside_records_have_the_right_reason(con):
    rows = con.execute(
        """
        select p.table_name, p.kind, p.record_id, d.reason
        from _demo.planted_bad_rows as p
        left join marts.dq_rejected_rows as d
            on d.source_name || '.' || d.table_name = p.table_name and d.record_id = p.record_id
        where p.kind not in ('duplicate_older', 'duplicate_newer', 'soft_deleted', 'null_key',
                             'hierarchy_cycle', 'self_parent', 'missing_parent')
        """
    ).fetchall()
    assert rows
    wrong = []
    for table, kind, record_id, reason in rows:
        expected = ORPHAN_REASON[table] if kind == "orphan" else REASON[kind]
        if reason != expected:
            wrong.append((table, kind, record_id, reason, expected))
    assert not wrong, f"{len(wrong)} planted records without the right reason, e.g. {wrong[:5]}"


def test_null_keys_are_all_set_aside(con):
    for table in REGISTRY:
        planted = con.execute(
            "select count(*) from _demo.planted_bad_rows where table_name = ? and kind = 'null_key'", [table]
        ).fetchone()[0]
        rejected = con.execute(
            "select count(*) from marts.dq_rejected_rows where source_name || '.' || table_name = ? "
            "and reason = 'null_key' and record_id is null",
            [table],
        ).fetchone()[0]
        assert planted > 0 and rejected == planted, (
            f"{table}: {rejected} null keys set aside, {planted} planted"
        )


def test_every_other_rejection_is_also_made_without_bad_rows(con, clean):
    """Besides the planted records, staging sets aside what it sets aside in the book
    without bad rows (the generator's own realistic dirt, e.g. NPS answers from people who
    are not CRM contacts), table by table and reason by reason: planted rows change nothing
    else. (Counts, not ids: the generator draws the ids of later tables after the planted
    rows, so they differ between the two books.)"""
    unplanted = con.execute(
        """
        select d.source_name || '.' || d.table_name as table_name, d.reason, count(*)
        from marts.dq_rejected_rows as d
        left join _demo.planted_bad_rows as p
            on d.source_name || '.' || d.table_name = p.table_name and d.record_id = p.record_id
        where d.record_id is not null and p.record_id is null
        group by all order by all
        """
    ).fetchall()
    clean_con = duckdb.connect(str(clean), read_only=True)
    try:
        in_clean = clean_con.execute(
            "select source_name || '.' || table_name, reason, count(*) from marts.dq_rejected_rows "
            "group by all order by all"
        ).fetchall()
    finally:
        clean_con.close()
    assert unplanted == in_clean


def test_duplicates_resolve_to_the_latest_version(con):
    for table, (base, key) in REGISTRY.items():
        planted = con.execute(
            "select count(*) from _demo.planted_bad_rows where table_name = ? and kind like 'duplicate_%'",
            [table],
        ).fetchone()[0]
        assert planted > 0, table
        wrong = con.execute(
            f"""
            with planted as (
                select distinct record_id from _demo.planted_bad_rows
                where table_name = ? and kind like 'duplicate_%'
            ),
            raw as (
                select cast(id as varchar) as record_id, max(_loaded_at) as latest, count(*) as versions
                from {table} group by 1
            ),
            current as (
                select cast({key} as varchar) as record_id, count(*) as rows, max(loaded_at) as loaded_at
                from staging.{base} group by 1
            )
            select planted.record_id, raw.versions, current.rows, current.loaded_at, raw.latest
            from planted
            left join raw on raw.record_id = planted.record_id
            left join current on current.record_id = planted.record_id
            where raw.versions < 2 or current.rows is distinct from 1 or current.loaded_at <> raw.latest
            """,
            [table],
        ).fetchall()
        assert not wrong, f"{table}: duplicates not resolved to the latest version, e.g. {wrong[:3]}"
        rejected = con.execute(
            "select count(*) from marts.dq_rejected_rows as d join _demo.planted_bad_rows as p "
            "on d.source_name || '.' || d.table_name = p.table_name and d.record_id = p.record_id "
            "where p.table_name = ? and p.kind like 'duplicate_%'",
            [table],
        ).fetchone()[0]
        assert rejected == 0, f"{table}: a re-delivered record was set aside"


def test_soft_deletes_are_deleted_not_rejected(con):
    tables = [t for (t,) in con.execute(
        "select distinct table_name from _demo.planted_bad_rows where kind = 'soft_deleted'").fetchall()]  # fmt: skip
    assert "crm.account" in tables and "billing.customer" in tables
    for table in tables:
        base, key = REGISTRY[table]
        counts = con.execute(
            f"""
            select
                count(*),
                count(*) filter (where b.is_deleted),
                count(*) filter (where s.{key} is not null),
                count(*) filter (where d.record_id is not null)
            from _demo.planted_bad_rows as p
            left join staging.{base} as b on cast(b.{key} as varchar) = p.record_id
            left join {USABLE[table]} as s on cast(s.{key} as varchar) = p.record_id
            left join marts.dq_rejected_rows as d
                on d.source_name || '.' || d.table_name = p.table_name and d.record_id = p.record_id
            where p.table_name = ? and p.kind = 'soft_deleted'
            """,
            [table],
        ).fetchone()
        planted, deleted, staged_rows, rejected = counts
        assert planted == deleted and staged_rows == 0 and rejected == 0, f"{table}: {counts}"


def test_hierarchy_issues_are_reported(con):
    assert table_exists(con, "marts", "dq_hierarchy_issues")
    rows = con.execute(
        """
        select p.kind, p.record_id, h.reason
        from _demo.planted_bad_rows as p
        left join marts.dq_hierarchy_issues as h on h.account_id = p.record_id
        where p.kind in ('hierarchy_cycle', 'self_parent', 'missing_parent')
        """
    ).fetchall()
    assert {kind for kind, _, _ in rows} == set(HIERARCHY_REASON)
    wrong = [(k, r, reason) for k, r, reason in rows if reason != HIERARCHY_REASON[k]]
    assert not wrong, wrong
    if table_exists(con, "marts", "dim_account"):
        linked = con.execute(
            "select count(*) from marts.dim_account as a join marts.dq_hierarchy_issues as h using (account_id) "
            "where a.parent_account_id is not null"
        ).fetchone()[0]
        assert linked == 0, "an ignored parent link is still used by dim_account"


def test_rows_are_conserved_for_every_table(con):
    for table, (base, _) in REGISTRY.items():
        source, name = table.split(".")
        raw = con.execute(
            f'select count(distinct id) + count(*) filter (where id is null) from {source}."{name}"'
        ).fetchone()[0]
        staged = con.execute(f"select count(*) from {USABLE[table]}").fetchone()[0]
        deleted = con.execute(f"select count(*) from staging.{base} where is_deleted").fetchone()[0]
        rejected = con.execute(
            "select count(*) from marts.dq_rejected_rows where source_name = ? and table_name = ?",
            [source, name],
        ).fetchone()[0]
        assert raw == staged + deleted + rejected, f"{table}: {raw} != {staged} + {deleted} + {rejected}"


def test_no_mart_row_is_affected(con, clean):
    # Row for row, the health marts equal those of the same book without any bad row.
    clean_con = duckdb.connect(str(clean), read_only=True)
    try:
        for table in HEALTH_MARTS:
            expected = content_hash(clean_con, table)
            assert expected[0] > 0
            assert content_hash(con, table) == expected, f"{table} differs from the clean build"
    finally:
        clean_con.close()
    # No account a bad record made up (soft-deleted or set-aside accounts) is in any mart.
    bad_accounts = [r for (r,) in con.execute(
        "select record_id from _demo.planted_bad_rows where table_name = 'crm.account' "
        "and kind = 'soft_deleted'").fetchall()]  # fmt: skip
    assert bad_accounts
    marts = con.execute(
        "select distinct table_name, column_name from information_schema.columns where table_schema = 'marts' "
        "and column_name in ('account_id', 'parent_account_id', 'root_account_id') "
        "and table_name not like 'dq\\_%' escape '\\'"
    ).fetchall()
    assert marts
    for table, column in marts:
        leaked = con.execute(
            f"select count(*) from marts.{table} where {column} in (select unnest(?::varchar[]))",
            [bad_accounts],
        ).fetchone()[0]
        assert leaked == 0, f"marts.{table}.{column} holds a deleted account"


def test_mart_quality_suites_pass_on_the_dirty_build(dirty, tmp_path):
    from customer_health import quality

    root = tmp_path / "gxproject"
    shutil.copytree(PROJECT_DIR / "gx", root / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    result = quality.validate_marts(dirty, *WINDOW, gx_project_root=root)
    assert result.success, result.summary()


def test_a_warehouse_without_what_the_job_builds_from_fails_before_dbt_starts(built_warehouse, tmp_path):
    """No warehouse file, a raw table or column the contract requires missing, or an
    intraday run on raw data no daily run has built: the run fails with a message that
    names what is missing before dbt starts (dbt would create an empty file, or fail deep in
    a model's SQL). The optional overrides table may be absent."""
    from _pipeline import pipeline_env, run_pipeline

    from orchestration.dbt.invocations import invocation_dirs
    from orchestration.run import failure_messages

    day, today = built_warehouse.end_date, BUILD_NOW.date()
    no_invoices = [
        "drop table billing.invoice",
        "alter table crm.account drop column industry",
        "alter table product.tracks drop column received_at",
        "drop table crm.health_override__c",  # optional: not named
    ]
    for world, job, expected in (
        ("no_file", "health_daily_job", "health.duckdb does not exist: load the raw sources into it first"),
        (
            "no_invoices",
            "health_daily_job",
            "lacks what the raw-source contract requires: table(s) billing.invoice; "
            "column(s) crm.account.industry, product.tracks.received_at\n",
        ),
        ("raw_only", "health_intraday_job", "holds no scores yet (no marts.fct_account_health_daily)"),
        ("raw_only_weekly", "health_weekly_job", "health_weekly_job builds on the daily job's"),
    ):
        (tmp_path / world).mkdir()
        warehouse = tmp_path / world / "health.duckdb"
        if world == "no_invoices":
            built_warehouse.copy_to(tmp_path / world)
            with duckdb.connect(str(warehouse)) as connection:
                for statement in no_invoices:
                    connection.execute(statement)
        elif world.startswith("raw_only"):
            generate(warehouse, accounts=5, days=40)
        window = {"health_intraday_job": (today, today), "health_weekly_job": ()}.get(job, (day, day))
        with pipeline_env(warehouse, tmp_path / world, now=BUILD_NOW):
            result = run_pipeline(job, *window)
        messages = "\n".join(failure_messages(result))
        assert not result.success and messages.startswith("health_dbt: "), messages
        assert expected in f"{messages}\n", messages
        started = [path.name for path in invocation_dirs(tmp_path / world / "dbt_target")]
        assert not [name for name in started if name.startswith("health_dbt-")], (
            "the dbt op's dbt did not start"
        )
    assert not (tmp_path / "no_file" / "health.duckdb").exists(), "no empty warehouse file was created"
