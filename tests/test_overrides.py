"""CSM overrides (raw crm.health_override__c) against the marts contract, independently.

On the shared test warehouse (the generator lands active, expired, open-ended, deleted,
overlapping, same-start and invalid overrides), a plain-Python reading of the contract from
the RAW table - current version per id, soft deletes gone, bad rows set aside with their
reason, an open end capped at 90 days, the latest start winning (ties: the latest load) -
gives every account-day's override_id and effective band and score; they must equal
fct_account_health_daily's, and the account roll-up of every node, day and method
(fct_hierarchy_health_daily) must equal the contract's roll-up of those effective values
(ARR from the raw billing tables). The segment mart and the override_expiring alert use
them too. Then a warehouse without the table: nothing else changes.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil

import duckdb
import pandas as pd
import pytest
from conftest import BUILD_NOW, END_DATE, PROJECT_DIR, generate, run_dbt, window_vars
from reference.hierarchy import METHODS, clean_links, figures, node_band, read_band_rules, subtrees
from reference.products import item_days, usable_parents
from reference.staging import current_versions, load
from test_faults import mart_hashes

OPEN_END_DAYS = 90  # dbt var override_open_end_days (default)
BANDS = ("good", "average", "poor")
TOLERANCE = 1e-9


def reference_overrides(raw: pd.DataFrame, usable_accounts: set[str]) -> tuple[pd.DataFrame, list[tuple]]:
    """(usable overrides with their last day, [(record_id, reason)] set aside) from the raw rows."""
    set_aside = [(None, "null_key")] * int((raw["id"].isna() & ~raw["is_deleted"].fillna(False)).sum())
    usable = []
    for row in current_versions(raw).rename(columns={"_loaded_at": "loaded_at"}).itertuples(index=False):
        if bool(row.is_deleted):
            continue
        band = None if pd.isna(row.health_band__c) else str(row.health_band__c).strip().lower()
        score = None if pd.isna(row.health_score__c) else float(row.health_score__c)
        start = None if pd.isna(row.start_date__c) else pd.Timestamp(row.start_date__c).date()
        end = None if pd.isna(row.end_date__c) else pd.Timestamp(row.end_date__c).date()
        if band not in BANDS:
            reason = "unknown_band"
        elif score is not None and not 0 <= score <= 100:
            reason = "score_out_of_range"
        elif start is None:
            reason = "missing_start_date"
        elif end is not None and end < start:
            reason = "end_before_start"
        elif row.account__c not in usable_accounts:
            reason = "orphan_account"
        else:
            last = end if end is not None else start + dt.timedelta(days=OPEN_END_DAYS - 1)
            usable.append((row.id, row.account__c, band, score, start, last, end is None, row.loaded_at))
            continue
        set_aside.append((row.id, reason))
    columns = ["override_id", "account_id", "band", "score", "start", "last", "open_ended", "loaded_at"]
    return pd.DataFrame(usable, columns=columns), set_aside


def effective(health: pd.DataFrame, overrides: pd.DataFrame) -> pd.DataFrame:
    """Each account-day of `health` (computed health_score, health_band) with the override
    that applies (latest start; ties the latest load) and the effective band and score."""
    by_account = {a: group for a, group in overrides.groupby("account_id")}
    rows = []
    for row in health.itertuples(index=False):
        mine = by_account.get(row.account_id)
        winner = None
        if mine is not None:
            applying = mine[(mine["start"] <= row.as_of_date) & (row.as_of_date <= mine["last"])]
            if not applying.empty:
                winner = applying.sort_values(["start", "loaded_at", "override_id"]).iloc[-1]
        rows.append(
            {
                "account_id": row.account_id,
                "as_of_date": row.as_of_date,
                "override_id": None if winner is None else winner["override_id"],
                "overlapping": 0
                if mine is None
                else int(
                    ((mine["start"] <= row.as_of_date) & (row.as_of_date <= mine["last"])).sum()
                ),  # fmt: skip
                "effective_health_band": row.health_band if winner is None else winner["band"],
                "effective_health_score": row.health_score
                if winner is None or winner["score"] is None or pd.isna(winner["score"])
                else winner["score"],
            }
        )
    return pd.DataFrame(rows)


def same(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=TOLERANCE)  # type: ignore[arg-type]
    return a == b


@pytest.fixture(scope="module")
def world(built_warehouse):
    con = duckdb.connect(str(built_warehouse.path), read_only=True)

    def frame(sql: str) -> pd.DataFrame:
        result = con.execute(sql).df()
        for column in ("as_of_date", "start_date", "effective_end_date", "opened_on"):
            if column in result:
                result[column] = pd.to_datetime(result[column]).dt.date
        return result

    staged = load(con)
    raw = con.execute("select * from crm.health_override__c").df()
    result = {
        "staged": staged,
        "raw": raw,
        "health": frame(
            "select account_id, as_of_date, health_score, health_band, override_id, effective_health_score, "
            "effective_health_band from marts.fct_account_health_daily"
        ),
        "rejected": con.execute(
            "select record_id, reason from marts.dq_rejected_rows where source_name = 'crm' "
            "and table_name = 'health_override__c'"
        ).fetchall(),
        "dim": frame("select * from marts.dim_health_override"),
        "rollup": frame("select * from marts.fct_hierarchy_health_daily"),
        "segments": frame(
            "select as_of_date, good_accounts, average_accounts, poor_accounts, insufficient_data_accounts "
            "from marts.fct_segment_health_daily where segment_dimension = 'all'"
        ),
        "alerts": frame("select * from marts.fct_health_alerts where alert_type = 'override_expiring'"),
        "window": (built_warehouse.start_date, built_warehouse.end_date),
    }
    con.close()
    overrides, set_aside = reference_overrides(raw, set(staged.accounts["id"]))
    result["overrides"] = overrides
    result["set_aside"] = set_aside
    result["expected"] = effective(result["health"], overrides)
    return result


def test_bad_overrides_are_set_aside_with_their_reason(world):
    assert sorted(world["rejected"], key=str) == sorted(world["set_aside"], key=str)
    reasons = {reason for _, reason in world["set_aside"]}
    assert reasons >= {"null_key", "unknown_band", "score_out_of_range", "end_before_start", "orphan_account"}
    # Usable overrides are the dimension's rows, open ends capped.
    dim = world["dim"].set_index("override_id")
    ref = world["overrides"].set_index("override_id")
    assert set(dim.index) == set(ref.index)
    assert (dim.loc[ref.index, "effective_end_date"] == ref["last"]).all()
    assert ref["open_ended"].any()
    # A deleted override is in neither.
    deleted = set(world["raw"].loc[world["raw"]["is_deleted"].fillna(False), "id"])
    assert deleted and not deleted & set(dim.index)


def test_every_account_day_gets_the_contracts_effective_values(world):
    merged = world["expected"].merge(
        world["health"], on=["account_id", "as_of_date"], suffixes=("_reference", "_mart")
    )
    assert len(merged) == len(world["health"])
    wrong = [
        (row.account_id, row.as_of_date, column)
        for row in merged.itertuples(index=False)
        for column in ("override_id", "effective_health_band", "effective_health_score")
        if not same(getattr(row, f"{column}_reference"), getattr(row, f"{column}_mart"))
    ]
    assert not wrong, f"{len(wrong)} differences, e.g. {wrong[:10]}"
    # The data exercises what the contract describes.
    applied = merged[merged["override_id_mart"].notna()]
    assert len(applied) > 20
    assert (applied["effective_health_band_mart"] != applied["health_band"]).any(), (
        "an override changes a band"
    )
    assert (merged["overlapping"] >= 2).any(), "overlapping overrides on some day"
    overrides = world["overrides"]
    start, end = world["window"]
    assert ((overrides["last"] >= start) & (overrides["last"] < end)).any(), (
        "an override expires in the window"
    )
    expired = overrides[overrides["last"] < end]
    after = merged.merge(expired[["override_id", "last"]], left_on="override_id_mart", right_on="override_id")
    assert (after["as_of_date"] <= after["last"]).all(), "an expired override stops by itself"
    ties = overrides.groupby(["account_id", "start"]).size()
    assert (ties >= 2).any(), "two overrides of one account starting the same day"


def node_members(
    rows: dict, accounts: list[str], weight_of, band_column: str, score_column: str
) -> list[tuple[str, float | None, str, float]]:
    """(account, score, band, weight) of the accounts of a subtree whose band counts."""
    out = []
    for account in accounts:
        row = rows.get(account)
        if row is not None and getattr(row, band_column) in BANDS:
            out.append((account, getattr(row, score_column), getattr(row, band_column), weight_of(account)))
    return out


def test_the_rollup_uses_the_effective_values(world):
    """fct_hierarchy_health_daily for every node, day and method = the contract's roll-up of
    the reference's effective values (ARR from raw billing), and overrides move some nodes."""
    health = world["health"].merge(world["expected"], on=["account_id", "as_of_date"], suffixes=("", "_ref"))
    start, end = world["window"]
    items = item_days(world["staged"], start, end)
    items["as_of_date"] = pd.to_datetime(items["day"], unit="D").dt.date
    arr = items.groupby(["account_id", "as_of_date"])["arr_usd"].sum().to_dict()
    effective_links, _ = clean_links(usable_parents(world["staged"]))
    trees = subtrees(effective_links)
    rules = read_band_rules()
    rollup = world["rollup"].set_index(["account_id", "as_of_date", "rollup_method"])
    compared, moved, wrong = 0, 0, []
    for day, group in health.groupby("as_of_date"):
        rows = {row.account_id: row for row in group.itertuples(index=False)}
        for method in METHODS:

            def weight_of(account: str, method: str = method, day: dt.date = day) -> float:
                return 1.0 if method == "account_count" else float(arr.get((account, day), 0.0))

            for node, accounts in trees.items():
                want = figures(
                    node_members(
                        rows, accounts, weight_of, "effective_health_band_ref", "effective_health_score_ref"
                    )
                )
                computed = figures(node_members(rows, accounts, weight_of, "health_band", "health_score"))
                moved += computed != want
                want["health_band"] = node_band(want, rules)
                got = rollup.loc[(node, day, method)]
                compared += 1
                wrong += [
                    (node, day, method, column, got[column], value)
                    for column, value in want.items()
                    if not same(got[column], value)
                ]
    assert not wrong, f"{len(wrong)} differences, e.g. {wrong[:10]}"
    assert compared == len(rollup)
    assert moved > 0, "no node's roll-up moved by an override"


def test_segments_count_effective_bands(world):
    bands = ["good", "average", "poor", "insufficient_data"]
    counts = (
        world["health"]
        .groupby(["as_of_date", "effective_health_band"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=bands, fill_value=0)
    )
    segments = world["segments"].set_index("as_of_date").sort_index()
    assert list(segments.index) == sorted(counts.index)
    for band in bands:
        assert (segments[f"{band}_accounts"] == counts.loc[segments.index, band]).all(), band


def test_override_expiring_alert_opens_seven_days_before_the_end(world):
    start, end = world["window"]
    overrides = world["overrides"]
    ending = overrides[
        (overrides["last"] - dt.timedelta(days=7) >= start)
        & (overrides["last"] - dt.timedelta(days=7) <= end)
    ]
    applied = world["health"].groupby("override_id")["as_of_date"].max()
    ending = ending[ending["override_id"].map(applied).ge(ending["last"] - dt.timedelta(days=7))]
    assert not ending.empty
    alerts = world["alerts"]
    for row in ending.itertuples(index=False):
        mine = alerts[
            (alerts["account_id"] == row.account_id)
            & (alerts["opened_on"] == row.last - dt.timedelta(days=7))
        ]
        assert len(mine) == 1, row
        assert mine.iloc[0]["opening_metric_value"] == 7
        assert row.override_id is not None and "ends on " + row.last.isoformat() in mine.iloc[0]["details"]


# --------------------------------------------------------------------------------------
# Without the table


ABSENT = {"accounts": 40, "days": 100, "seed": 3, "bad_rows_rate": 0.02}
ABSENT_WINDOW = (END_DATE - dt.timedelta(days=2), END_DATE)


def test_a_warehouse_without_the_table_has_no_overrides_and_nothing_else_changes(tmp_path):
    """The table is optional: absent, the pipeline builds (every dbt test, row conservation of
    the table included, the raw checks and the blocking mart checks pass) and every mart is
    identical, row for row, to a build where the table exists and is empty."""
    from _pipeline import assert_success, pipeline_env, run_pipeline

    from customer_health.quality import validate_raw

    absent, empty = tmp_path / "absent" / "health.duckdb", tmp_path / "empty" / "health.duckdb"
    absent.parent.mkdir()
    empty.parent.mkdir()
    generate(absent, **ABSENT)
    shutil.copyfile(absent, empty)
    with duckdb.connect(str(absent)) as con:
        con.execute("drop table crm.health_override__c")
    with duckdb.connect(str(empty)) as con:
        con.execute("delete from crm.health_override__c")
    with pipeline_env(absent, tmp_path / "absent_world", now=BUILD_NOW):
        assert_success(run_pipeline("health_daily_job", *ABSENT_WINDOW))
        raw = validate_raw(absent, update_state=False)
    profile = raw.for_table("crm.health_override__c")
    assert profile and all(r.success for r in profile) and profile[0].details.get("absent")
    run_dbt(["build", "--exclude", "tag:weekly", "--vars", window_vars(*ABSENT_WINDOW)], empty, tmp_path / "work",
            HEALTH_NOW=BUILD_NOW.isoformat())  # fmt: skip

    without, with_empty = mart_hashes(absent), mart_hashes(empty)
    assert without.keys() == with_empty.keys() and "dim_health_override" in without
    differing = [t for t in without if without[t] != with_empty[t]]
    assert not differing, differing
    con = duckdb.connect(str(absent), read_only=True)
    try:
        assert con.execute("select count(*) from marts.dim_health_override").fetchone() == (0,)
        assert (
            con.execute(
                "select count(*) filter (where override_id is not null "
                "or effective_health_band <> health_band "
                "or effective_health_score is distinct from health_score), count(*) "
                "from marts.fct_account_health_daily"
            ).fetchone()[0]
            == 0
        )
        assert con.execute(
            "select count(*) from marts.dq_rejected_rows where table_name = 'health_override__c'"
        ).fetchone() == (0,)
    finally:
        con.close()
    assert (PROJECT_DIR / "models" / "staging" / "base" / "base_crm__health_overrides.sql").exists()
