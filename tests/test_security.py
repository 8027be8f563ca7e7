"""Security hygiene: no secrets in the repository, profiles read the environment, no
public mart exposes a personal-data column, and vars that reach SQL are validated so
that a malicious var stops the run with a clear error instead of running SQL."""

from __future__ import annotations

import json
import re
import subprocess

import duckdb
import pytest
import yaml
from conftest import PROJECT_DIR, run_dbt

from customer_health import serving
from customer_health.manifest import pii_column_names, pii_columns
from customer_health.quality.__main__ import main as quality_main
from customer_health.quality.suites import PII_NAME_PATTERN
from customer_health.safety import UnsafeValueError, parse_iso_date, parse_window, safe_identifier

SECRET_PATTERNS = {
    "AWS access key": r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "GitHub token": r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}",
    "Slack token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    "Stripe live key": r"\b(sk|rk)_live_[A-Za-z0-9]{16,}",
    "MotherDuck token": r"motherduck_token\s*=\s*[A-Za-z0-9._-]{20,}",
    "Google API key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "JWT": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    "literal credential": (
        r"(?i)\b(password|passwd|secret|api_?key|access_?token|auth_?token)\b\s*[:=]\s*"
        r"['\"](?!\{\{)[^'\"\s]{8,}['\"]"
    ),
}
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"


def repository_files() -> list[str]:
    """Every file git would commit: tracked plus untracked-but-not-ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [f for f in listed.split("\0") if f and (PROJECT_DIR / f).is_file()]


def test_no_secrets_in_the_repository():
    files = repository_files()
    assert "profiles.yml" in files and len(files) > 50
    found = []
    for name in files:
        path = PROJECT_DIR / name
        if path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for label, pattern in SECRET_PATTERNS.items():
            for match in re.finditer(pattern, text):
                found.append(f"{name}: {label}: {match.group(0)[:40]}")
    assert not found, "\n".join(found)


def test_profiles_take_connection_settings_from_the_environment():
    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    sensitive = re.compile(r"(?i)(password|token|secret|key|user|host|path)")
    for profile in profiles.values():
        assert "env_var(" in str(profile["target"])
        for name, output in profile["outputs"].items():
            for key, value in output.items():
                if sensitive.search(key) and value != ":memory:":
                    assert "env_var(" in str(value), (
                        f"profiles.yml {name}.{key} is not read from the environment"
                    )


def test_no_public_mart_exposes_a_personal_data_column(built_warehouse):
    tagged = pii_column_names()
    assert {"email", "first_name", "last_name"} <= set(tagged)
    # no mart model's YAML tags a column as personal data (that would publish it)
    in_marts = {k: v for k, v in pii_columns().items() if k.startswith("marts.")}
    assert not in_marts, in_marts
    con = duckdb.connect(str(built_warehouse.path), read_only=True)
    try:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = 'marts'"
        ).fetchall()
        assert columns
        exposed = [
            (t, c) for t, c, _ in columns if c.lower() in tagged or re.search(PII_NAME_PATTERN, c.lower())
        ]
        assert not exposed, exposed
        # nor a personal value hidden in a text column (e.g. an email in a reason text)
        for table, column, kind in columns:
            if kind == "VARCHAR":
                leaked = con.execute(
                    f'select count(*) from marts."{table}" where regexp_matches("{column}", ?)', [EMAIL]
                ).fetchone()[0]
                assert leaked == 0, f"marts.{table}.{column} holds email addresses"
    finally:
        con.close()


MALICIOUS = [
    ({"health_start_date": "2026-10-01'; drop table crm.account; --", "health_end_date": "2026-10-31"},
     r"var 'health_start_date' must be an ISO date"),
    ({"crm_schema": "crm; drop table billing.invoice"}, r"crm_schema"),
    ({"billing_schema": 'billing"; drop table crm.account; --'}, r"var 'billing_schema' must be a plain schema name"),
    ({"future_timestamp_tolerance_hours": "24) or (1 = 1"}, r"var 'future_timestamp_tolerance_hours' must be a whole number"),
]  # fmt: skip


@pytest.fixture(scope="module")
def victim(built_warehouse, tmp_path_factory):
    return built_warehouse.copy_to(tmp_path_factory.mktemp("victim"))


def raw_counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name in "
                "('crm', 'billing', 'staging') order by 1, 2"
            ).fetchall()
        }
    finally:
        con.close()


@pytest.mark.parametrize(("variables", "message"), MALICIOUS, ids=[next(iter(v)) for v, _ in MALICIOUS])
def test_malicious_vars_are_rejected_with_a_clear_error(victim, tmp_path, variables, message):
    before = raw_counts(victim)
    values = {"health_start_date": "2026-10-30", "health_end_date": "2026-10-31", **variables}
    result = run_dbt(
        ["run", "--select", "base_crm__accounts", "base_billing__invoices", "--vars", json.dumps(values)],
        victim, tmp_path, check=False, cli_vars=True,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(message, output), output[-3000:]
    assert "Compilation Error" in output
    assert raw_counts(victim) == before


def test_python_entry_points_validate_their_inputs(built_warehouse, tmp_path):
    for bad in ("2026-10-01'; drop table x; --", "yesterday", "2026-13-01", "20261001"):
        with pytest.raises(UnsafeValueError):
            parse_iso_date(bad)
    with pytest.raises(UnsafeValueError, match="after"):
        parse_window("2026-10-31", "2026-10-01")
    for bad in ("crm; drop", 'crm"', "crm.account", "", "1crm", "a" * 64, None):
        with pytest.raises(UnsafeValueError):
            safe_identifier(bad)
    assert safe_identifier("crm_2026") == "crm_2026"
    assert quality_main(["--suite", "marts", "--duckdb-path", str(built_warehouse.path),
                         "--start-date", "2026-10-01' or 1=1 --"]) == 2  # fmt: skip
    with pytest.raises(UnsafeValueError):
        serving.publish(built_warehouse.path, tmp_path / "serving", validate_window=("x'; --", "2026-10-31"))
    assert serving.current_path(tmp_path / "serving") is None
