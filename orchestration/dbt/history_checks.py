"""The dbt tests that scan the whole event history (dbt tag `history_scan`), run weekly.

A handful of data tests cannot be limited to a run's window: uniqueness of every event id
ever loaded and row conservation (raw = staged + set aside) of the event table. The
incremental models keep these true by construction (re-deliveries are de-duplicated
against everything already staged); the tests prove it, at the cost of reading every event:
92 s of dbt thread time in each daily run at 10,000 accounts x 730 days, where the rest of
the upstream op took 27 s (docs/decisions/0006-whole-history-tests-weekly.md).

So the selector `health_upstream` leaves them out of the dbt invocations of the daily graph,
and the weekly job selects them: dagster-dbt runs a selection of asset checks alone as
`dbt build --select <those tests>`, over whole tables (no window vars in a weekly run). The
tests and their asset check keys are read from the manifest; nothing lists them by hand.
"""

from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckKey
from dagster_dbt import DagsterDbtTranslator

HISTORY_SCAN_TAG = "history_scan"


def history_check_keys(manifest: Mapping[str, Any], translator: DagsterDbtTranslator) -> list[AssetCheckKey]:
    """The asset checks (dbt tests) tagged `history_scan`, on the models they test."""
    return [
        AssetCheckKey(translator.get_asset_key(manifest["nodes"][node["attached_node"]]), node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and HISTORY_SCAN_TAG in node.get("tags", [])
        and node.get("attached_node")
    ]
