"""The dbt invocations' directories are kept to the newest HEALTH_DBT_KEEP_INVOCATIONS
(orchestration/dbt/invocations.py); nothing else under the target path is touched.
A whole live day (tests/test_intraday.py) checks it on the pipeline's own runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.dbt.invocations import (
    DEFAULT_KEEP,
    KEEP_ENV,
    invocation_dirs,
    prune_invocations,
    target_base,
)

INVOCATIONS = [
    "health_dbt-1a6da1d-bf1a7ed",  # an op of a run, oldest
    "health_dbt_2-80e350b-ae41272",  # the second dbt op of a rescore
    "9f3c2a1",  # an invocation without a run context (the weekly history checks)
    "health_dbt-fe557e4-dc25c3f",  # newest
]
OTHERS = ["compiled", "run", "health_dbt-notarun-1234567", "abcdefgh"]  # not dagster-dbt's names


def make_target(base: Path) -> None:
    for age, name in enumerate(reversed(INVOCATIONS)):
        directory = base / name
        directory.mkdir(parents=True)
        (directory / "dbt.log").write_text("log")
        stamp = 1_800_000_000 - 60 * age
        os.utime(directory, (stamp, stamp))
    for name in OTHERS:
        (base / name).mkdir()
    (base / "manifest.json").write_text("{}")
    (base / "partial_parse.msgpack").write_bytes(b"state")


def test_the_newest_invocations_are_kept_and_nothing_else_is_touched(tmp_path: Path):
    make_target(tmp_path)
    assert [path.name for path in invocation_dirs(tmp_path)] == INVOCATIONS[::-1]
    removed = prune_invocations(tmp_path, keep=2)
    assert [path.name for path in removed] == ["health_dbt_2-80e350b-ae41272", "health_dbt-1a6da1d-bf1a7ed"]
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted([*INVOCATIONS[2:], *OTHERS, "manifest.json", "partial_parse.msgpack"])
    assert prune_invocations(tmp_path, keep=2) == []
    assert prune_invocations(tmp_path / "missing") == []


def test_the_setting_is_read_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_target(tmp_path)
    monkeypatch.delenv(KEEP_ENV, raising=False)
    assert DEFAULT_KEEP >= len(INVOCATIONS) and prune_invocations(tmp_path) == []
    monkeypatch.setenv(KEEP_ENV, "3")
    assert [path.name for path in prune_invocations(tmp_path)] == [INVOCATIONS[0]]
    for bad in ("0", "many"):
        monkeypatch.setenv(KEEP_ENV, bad)
        with pytest.raises(ValueError, match=KEEP_ENV):
            prune_invocations(tmp_path)


def test_the_target_path_is_dagster_dbts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    assert target_base(tmp_path) == tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", "elsewhere")
    assert target_base(tmp_path) == tmp_path / "elsewhere"
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "absolute"))
    assert target_base("/unused") == tmp_path / "absolute"


def test_a_bad_setting_stops_the_run_before_dbt_starts(built_warehouse, tmp_path: Path):
    from _pipeline import pipeline_env, run_pipeline
    from conftest import BUILD_NOW

    from orchestration.run import failure_messages

    warehouse = built_warehouse.copy_to(tmp_path)
    day = built_warehouse.end_date
    with pipeline_env(warehouse, tmp_path, now=BUILD_NOW, **{KEEP_ENV: "0"}):
        result = run_pipeline("health_daily_job", day, day)
    assert not result.success
    assert f"{KEEP_ENV} must be >= 1, got 0" in "\n".join(failure_messages(result))
    assert invocation_dirs(tmp_path / "dbt_target") == [], "dbt never started"
