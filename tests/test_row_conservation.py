"""Row conservation: raw records = staged + soft-deleted + set aside, for every raw table.

The dbt test `row_conservation` runs on every staging model in every build; here we prove
it can fail: a staging model that silently drops rows it should have set aside makes it
fail, and the untouched project passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from conftest import copy_project, run_dbt_in

# The raw table -> base model registry that dq_rejected_rows and the dbt tests use.
REGISTRY = {
    (source, table): base
    for source, table, base in re.findall(
        r"'source_name': '(\w+)', 'table_name': '(\w+)', 'base_model': '(\w+)'",
        (Path(__file__).resolve().parent.parent / "macros" / "staging_tables.sql").read_text(),
    )
}


def conservation_run(project, duckdb_path):
    run_dbt_in(project, ["run", "--select", "stg_crm__contacts"], duckdb_path)
    return run_dbt_in(
        project,
        ["test", "--select", "stg_crm__contacts,test_name:row_conservation"],
        duckdb_path,
        check=False,
    )


def test_conservation_holds_for_every_table(built_warehouse):
    con = duckdb.connect(str(built_warehouse.path), read_only=True)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('crm', 'billing', 'product', 'support', 'survey')"
    ).fetchall()
    assert len(tables) == 14
    for schema, table in tables:
        raw = con.execute(
            f'select count(distinct id) + count(*) filter (where id is null) from {schema}."{table}"'
        ).fetchone()[0]
        rejected = con.execute(
            "select count(*) from marts.dq_rejected_rows where source_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        base = REGISTRY[(schema, table)]
        staged_model = "stg_" + base.removeprefix("base_")
        staged = con.execute(f"select count(*) from staging.{staged_model}").fetchone()[0]
        deleted = con.execute(f"select count(*) from staging.{base} where is_deleted").fetchone()[0]
        assert raw == staged + deleted + rejected, f"{schema}.{table}: {raw} != {staged}+{deleted}+{rejected}"
        if table not in ("organization",):
            assert staged > 0
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
    assert "row_conservation" in failing.stdout and "FAIL 1" in failing.stdout, failing.stdout[-3000:]
