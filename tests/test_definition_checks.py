"""A broken health definition stops the build with a message naming the offending row."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import copy_project, run_dbt, run_dbt_in

DEFINITION_MODELS = ["int_health_definition_errors", "int_health_definition_version"]


def edit_csv(path: Path, edit) -> None:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0].keys())
    rows = edit(rows)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_field(rows, match: dict, **changes):
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert hits, f"no seed row matches {match}"
    for row in hits:
        row.update(changes)
    return rows


def build_definitions(project: Path, tmp_path: Path):
    duckdb_path = tmp_path / "health.duckdb"  # the name whose worlds share dbt's parsing
    run_dbt_in(project, ["seed", "--select", "tag:health_definitions"], duckdb_path)
    return run_dbt_in(project, ["run", "--select", *DEFINITION_MODELS], duckdb_path, check=False)


def test_sound_definitions_build(tmp_path):
    """The repository's own definitions (the project itself: no copy to parse)."""
    duckdb_path = tmp_path / "health.duckdb"  # the name whose worlds share dbt's parsing
    run_dbt(["seed", "--select", "tag:health_definitions"], duckdb_path, tmp_path)
    run_dbt(["run", "--select", *DEFINITION_MODELS], duckdb_path, tmp_path)


def test_every_error_class_is_reported_with_its_row(tmp_path):
    project = copy_project(tmp_path)
    seeds = project / "seeds" / "definitions"
    edit_csv(
        seeds / "health_profile_indicators.csv",
        lambda rows: set_field(
            set_field(
                set_field(
                    set_field(rows, {"profile_id": "mid_market", "indicator_id": "nps"}, weight="-5"),
                    {"profile_id": "default", "indicator_id": "nps"},
                    indicator_id="vibes",
                ),
                {"profile_id": "digital_smb", "indicator_id": "support_burden"},
                pillar="karma",
            ),
            {"profile_id": "renewal_window", "indicator_id": "nps"},
            poor_value="40",
            good_value="40",
        ),
    )
    # All indicator weights of one pillar zero, all pillar weights of a profile zero.
    edit_csv(
        seeds / "health_profile_indicators.csv",
        lambda rows: set_field(
            rows, {"profile_id": "enterprise_high_touch", "pillar": "strategic"}, weight="0"
        ),
    )
    edit_csv(
        seeds / "health_pillar_weights.csv",
        lambda rows: set_field(rows, {"profile_id": "onboarding"}, weight="0"),
    )
    edit_csv(
        seeds / "health_profiles.csv",
        lambda rows: set_field(rows, {"profile_id": "mid_market"}, poor_threshold="80"),
    )
    # A pillar the marts have no score column for.
    with open(seeds / "health_pillars.csv", "a") as handle:
        handle.write("loyalty,Loyalty,Would they buy again.\n")
    # A profile without indicators.
    with open(seeds / "health_profiles.csv", "a") as handle:
        handle.write("vip,VIP accounts,false,70,45,0.5\n")
    # Duplicate rules (same conditions under two priorities).
    with open(seeds / "health_profile_rules.csv", "a") as handle:
        handle.write("70,digital_smb,smb,*,*,*\n")
    # Round 2: a product rule naming no profile and no catch-all left; a threshold out of
    # range; a dimension indicator that does not exist.
    edit_csv(
        seeds / "product_profile_rules.csv",
        lambda rows: set_field(rows, {"priority": "10"}, profile_id="nope", product_id="prod_core"),
    )
    edit_csv(
        seeds / "health_dimensions.csv",
        lambda rows: set_field(rows, {"dimension": "impact"}, strong_threshold="150"),
    )
    edit_csv(
        seeds / "health_dimension_indicators.csv",
        lambda rows: set_field(
            rows, {"dimension": "relationship", "indicator_id": "nps"}, indicator_id="vibes"
        ),
    )

    result = build_definitions(project, tmp_path)
    assert result.returncode != 0
    output = result.stdout
    expected = [
        "health_profile_indicators (profile_id=mid_market, indicator_id=nps): negative or missing weight",
        "health_profile_indicators (profile_id=default, indicator_id=vibes): unknown indicator vibes",
        "health_profile_indicators (profile_id=digital_smb, indicator_id=support_burden): unknown pillar karma",
        "health_profile_indicators (profile_id=renewal_window, indicator_id=nps): poor_value equals good_value",
        "health_profile_indicators (profile_id=enterprise_high_touch, pillar=strategic): all indicator weights",
        "health_pillar_weights (profile_id=onboarding): all pillar weights are zero",
        "health_pillars (pillar=loyalty): not a pillar of the marts contract: loyalty (engagement, outcomes,",
        "health_profiles (profile_id=mid_market): band thresholds out of order",
        "health_profiles (profile_id=vip): profile has no indicators",
        "health_profile_rules (customer_tier=smb, lifecycle_stage=*, support_package=*, region=*): duplicate rule",
        "product_profile_rules (priority=10): unknown profile_id nope",
        "product_profile_rules (product_id=*, customer_tier=*): no catch-all rule",
        "health_dimensions (dimension=impact): strong_threshold must lie within 0-100",
        "health_dimension_indicators (dimension=relationship, indicator_id=vibes): unknown indicator vibes",
    ]
    missing = [line for line in expected if line not in output]
    assert not missing, f"not reported: {missing}\n{output[-4000:]}"
    assert "Invalid health definition" in output


def test_missing_default_profile_stops_the_build(tmp_path):
    project = copy_project(tmp_path)
    edit_csv(
        project / "seeds" / "definitions" / "health_profiles.csv",
        lambda rows: set_field(rows, {"profile_id": "default"}, is_default="false"),
    )
    result = build_definitions(project, tmp_path)
    assert result.returncode != 0
    assert "health_profiles (is_default): no default profile" in result.stdout
