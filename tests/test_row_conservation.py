"""Row conservation: every raw record is usable, soft-deleted or set aside, once.

The dbt test `row_conservation` runs on the usable model of every raw table in every
build and checks it key by key; here we prove it can fail: a staging model that silently
drops rows it should have set aside makes it fail, and so does a usable model that loses
one key and counts another twice, although the counts still add up. The untouched
project passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from conftest import copy_project, run_dbt_in

# The raw table -> base model and usable model registry that the dbt models and tests use.
REGISTRY = {
    (source, table): (base, usable)
    for source, table, base, usable in re.findall(
        r"'source_name': '(\w+)', 'table_name': '(\w+)', 'base_model': '(\w+)', 'key': '\w+', "
        r"'usable_model': '(\w+)'",
        (Path(__file__).resolve().parent.parent / "macros" / "staging_tables.sql").read_text(),
    )
}


def usable_relation(usable: str) -> str:
    return f"{'staging' if usable.startswith('stg_') else 'intermediate'}.{usable}"


def conservation_run(project, duckdb_path, model="stg_crm__contacts"):
    # Both are views: re-creating the edited one is enough for the usable view above it.
    run_dbt_in(project, ["run", "--select", model], duckdb_path)
    return run_dbt_in(
        project,
        ["test", "--select", "int_contacts_linked,test_name:row_conservation"],
        duckdb_path,
        check=False,
    )


def contact_counts(duckdb_path) -> tuple[int, int, int, int]:
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        return con.execute(
            """
            select
                (select count(distinct id) + count(*) filter (where id is null) from crm.contact),
                (select count(*) from intermediate.int_contacts_linked),
                (select count(*) from staging.base_crm__contacts where is_deleted),
                (select count(*) from marts.dq_rejected_rows where source_name = 'crm' and table_name = 'contact')
            """
        ).fetchone()
    finally:
        con.close()


def test_conservation_holds_for_every_table(built_warehouse):
    con = duckdb.connect(str(built_warehouse.path), read_only=True)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('crm', 'billing', 'product', 'support', 'survey')"
    ).fetchall()
    assert len(tables) == 15 == len(REGISTRY)  # crm.health_override__c (optional) is landed here
    for schema, table in tables:
        raw = con.execute(
            f'select count(distinct id) + count(*) filter (where id is null) from {schema}."{table}"'
        ).fetchone()[0]
        rejected = con.execute(
            "select count(*) from marts.dq_rejected_rows where source_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        base, usable = REGISTRY[(schema, table)]
        usable_count = con.execute(f"select count(*) from {usable_relation(usable)}").fetchone()[0]
        deleted = con.execute(f"select count(*) from staging.{base} where is_deleted").fetchone()[0]
        assert raw == usable_count + deleted + rejected, (
            f"{schema}.{table}: {raw} != {usable_count}+{deleted}+{rejected}"
        )
        if table not in ("organization",):
            assert usable_count > 0
    con.close()


def test_conservation_test_fails_when_staging_drops_rows(built_warehouse, tmp_path):
    duckdb_path = built_warehouse.copy_to(tmp_path)
    project = copy_project(tmp_path)

    passing = conservation_run(project, duckdb_path)
    assert passing.returncode == 0, passing.stdout[-3000:]

    model = project / "models" / "staging" / "crm" / "stg_crm__contacts.sql"
    sql = model.read_text()
    assert "and rejection_reason is null" in sql
    # A "harmless" filter that silently loses contacts without a title.
    model.write_text(
        sql.replace(
            "and rejection_reason is null", "and rejection_reason is null\n        and title is not null"
        )
    )

    failing = conservation_run(project, duckdb_path)
    assert failing.returncode != 0
    assert "row_conservation" in failing.stdout and "FAIL" in failing.stdout, failing.stdout[-3000:]


# A usable model that keeps one contact set aside for its account and drops one usable
# contact: as many rows as before, so counts balance, but one key is lost and another is
# both usable and set aside.
SWAP_ONE_KEY = """where (set_aside.record_id is null) <> (contacts.contact_id in (
        select min(orphans.contact_id)
        from contacts as orphans
        inner join set_aside as orphan_keys on orphans.contact_id = orphan_keys.record_id
        union all
        select min(kept.contact_id)
        from contacts as kept
        left join set_aside as kept_keys on kept.contact_id = kept_keys.record_id
        where kept_keys.record_id is null
    ))"""


def test_conservation_test_checks_keys_not_counts(built_warehouse, tmp_path):
    duckdb_path = built_warehouse.copy_to(tmp_path)
    project = copy_project(tmp_path)
    raw, usable, deleted, rejected = contact_counts(duckdb_path)
    assert raw == usable + deleted + rejected

    model = project / "models" / "intermediate" / "crm" / "int_contacts_linked.sql"
    sql = model.read_text()
    assert sql.count("where set_aside.record_id is null") == 1
    model.write_text(sql.replace("where set_aside.record_id is null", SWAP_ONE_KEY))

    failing = conservation_run(project, duckdb_path, model="int_contacts_linked")
    assert contact_counts(duckdb_path) == (raw, usable, deleted, rejected), "the counts no longer balance"
    assert failing.returncode != 0
    assert "FAIL 2" in failing.stdout, failing.stdout[-3000:]
