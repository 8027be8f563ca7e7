"""The Great Expectations file context in `gx/` and the results of its checkpoints.

The GX project is a file context made by GX itself: suites, validation definitions and
checkpoints are committed; results and Data Docs go to `gx/uncommitted/` (ignored).
customer_health/quality/suites.py owns the suites: every run brings `gx/` in line with
them (a file is rewritten only when its content changes; suites no longer defined are
removed). GX 1.x through duckdb-engine fails every SQL expectation (IndexError in metric
bundling), so checkpoints validate pandas DataFrames that the caller reads with DuckDB.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from customer_health.config import PROJECT_DIR
from customer_health.quality.suites import E, Suite

DEFAULT_GX_PROJECT = PROJECT_DIR  # GX puts its context in <project>/gx
BATCH_DEFINITION = "rows_written"
KEEP_RESULTS_PER_SUITE = 10


@dataclass
class SuiteResult:
    suite: str
    table: str
    rows: int = 0
    evaluated: int = 0
    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.failed == 0


@dataclass
class QualityResult:
    scope: str
    suites: list[SuiteResult] = field(default_factory=list)
    data_docs_index: Path | None = None

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    @property
    def passed(self) -> int:
        """Expectations that passed, over all suites."""
        return sum(s.passed for s in self.suites)

    @property
    def failed(self) -> int:
        """Expectations that failed, over all suites."""
        return sum(s.failed for s in self.suites)

    @property
    def failed_suites(self) -> list[str]:
        return [f"{s.suite} on {s.table}" for s in self.suites if not s.success]

    def for_table(self, table: str) -> list[SuiteResult]:
        return [s for s in self.suites if s.table == table]

    def merge(self, other: QualityResult) -> QualityResult:
        return QualityResult(
            scope="all",
            suites=[*self.suites, *other.suites],
            data_docs_index=other.data_docs_index or self.data_docs_index,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "success": self.success,
            "passed": self.passed,
            "failed": self.failed,
            "data_docs_index": str(self.data_docs_index) if self.data_docs_index else None,
            "suites": [{**asdict(s), "success": s.success} for s in self.suites],
        }

    def summary(self) -> str:
        lines = [f"{'suite':<24} {'table':<32} {'rows':>7} {'passed':>7} {'failed':>7}"]
        for s in self.suites:
            status = "" if s.success else "FAILED"
            lines.append(
                f"{s.suite:<24} {s.table:<32} {s.rows:>7,} {s.passed:>7} {s.failed:>7}  {status}".rstrip()
            )
            lines += [f"    - {f}" for f in s.failures[:10]]
        lines.append(
            f"{self.scope}: {'PASSED' if self.success else 'FAILED'} - {len(self.suites)} suites, "
            f"{self.passed} expectations passed, {self.failed} failed"
        )
        if self.data_docs_index:
            lines.append(f"Data Docs: {self.data_docs_index}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The GX file context


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "posthog"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")


def _stripped(obj: Any) -> Any:
    """A JSON-able object without GX's generated ids, for comparing definitions."""
    if isinstance(obj, Mapping):
        return {k: _stripped(v) for k, v in obj.items() if k not in ("id", "great_expectations_version")}
    if isinstance(obj, list | tuple):
        return [_stripped(v) for v in obj]
    return obj


class GxProject:
    """The GX file context under `<project_root>/gx`, in line with this module's suites."""

    def __init__(self, suites: Mapping[str, Suite], project_root: Path = DEFAULT_GX_PROJECT) -> None:
        _quiet_gx()
        import great_expectations as gx

        self.gx = gx
        self.root = Path(project_root).resolve()
        self.dir = self.root / "gx"
        self.suites = suites
        self.context = gx.get_context(mode="file", project_root_dir=str(self.root))
        self._settings()
        self.sync()

    @property
    def data_docs_index(self) -> Path:
        return self.dir / "uncommitted" / "data_docs" / "local_site" / "index.html"

    def _settings(self) -> None:
        variables = self.context.variables
        changed = False
        if variables.analytics_enabled is not False:
            variables.analytics_enabled = False
            changed = True
        bars = variables.progress_bars
        if not bars or getattr(bars, "globally", True) or getattr(bars, "metric_calculations", True):
            from great_expectations.data_context.types.base import ProgressBarsConfig

            variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            changed = True
        if changed:
            variables.save()

    def _asset(self, datasource: str, asset: str) -> Any:
        try:
            source = self.context.data_sources.get(datasource)
        except (KeyError, LookupError, ValueError):
            source = self.context.data_sources.add_pandas(datasource)
        try:
            data_asset = source.get_asset(asset)
        except (KeyError, LookupError, ValueError):
            data_asset = source.add_dataframe_asset(asset)
        try:
            return data_asset.get_batch_definition(BATCH_DEFINITION)
        except (KeyError, LookupError, ValueError):
            return data_asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)

    def _suite(self, name: str, expectations: list[E]) -> tuple[Any, bool]:
        import great_expectations.expectations as gxe

        wanted = self.gx.ExpectationSuite(
            name=name,
            expectations=[getattr(gxe, e.kind)(**e.kwargs) for e in expectations],
            meta={"owner": "customer_health.quality (generated: edit the module, not this file)"},
        )
        try:
            existing = self.context.suites.get(name)
        except Exception:  # noqa: BLE001 - GX raises its own not-found types
            existing = None
        if existing is not None and _stripped(existing.to_json_dict()) == _stripped(wanted.to_json_dict()):
            return existing, False
        if existing is not None:
            self.context.suites.delete(name)
        return self.context.suites.add(wanted), True

    @staticmethod
    def _existing(store: Any, name: str) -> Any:
        try:
            return store.get(name)
        except Exception:  # noqa: BLE001 - GX raises several not-found types
            return None

    def _remove_stale(self) -> None:
        """Suites (and their definitions and checkpoints) that the project no longer defines."""
        for store in (self.context.checkpoints, self.context.validation_definitions, self.context.suites):
            for item in list(store.all()):
                if item.name not in self.suites:
                    store.delete(item.name)

    def sync(self) -> None:
        """Create or update data assets, suites, validation definitions and checkpoints."""
        self._remove_stale()
        for name, definition in self.suites.items():
            batch_definition = self._asset(definition.datasource, definition.asset)
            suite, suite_changed = self._suite(name, definition.expectations)
            validation = self._existing(self.context.validation_definitions, name)
            if validation is not None and (
                suite_changed
                or validation.suite.name != name
                or validation.batch_definition.id != batch_definition.id
            ):
                self.context.validation_definitions.delete(name)
                validation = None
            validation_changed = validation is None
            if validation is None:
                validation = self.context.validation_definitions.add(
                    self.gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
                )
            checkpoint = self._existing(self.context.checkpoints, name)
            if checkpoint is not None and (
                validation_changed
                or [v.name for v in checkpoint.validation_definitions] != [name]
                or not checkpoint.actions
            ):
                self.context.checkpoints.delete(name)
                checkpoint = None
            if checkpoint is None:
                self.context.checkpoints.add(
                    self.gx.Checkpoint(
                        name=name,
                        validation_definitions=[validation],
                        actions=[self.gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
                        result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10},
                    )
                )

    def run(
        self,
        name: str,
        table: str,
        frame: pd.DataFrame,
        parameters: Mapping[str, Any] | None = None,
        data_docs: bool = True,
    ) -> SuiteResult:
        """Run suite `name` on `frame`: through its checkpoint (which updates Data Docs) or,
        without Data Docs, through its validation definition."""
        kwargs = {"batch_parameters": {"dataframe": frame}, "expectation_parameters": dict(parameters or {})}
        if data_docs:
            checkpoint_result = self.context.checkpoints.get(name).run(**kwargs)
            validation = next(iter(checkpoint_result.run_results.values()))
        else:
            validation = self.context.validation_definitions.get(name).run(**kwargs)
        outcome = SuiteResult(suite=name, table=table, rows=len(frame))
        for result in validation.results:
            outcome.evaluated += 1
            if result.success:
                outcome.passed += 1
            else:
                outcome.failed += 1
                outcome.failures.append(_describe_failure(result, frame))
        return outcome

    def prune(self, keep: int = KEEP_RESULTS_PER_SUITE) -> None:
        """Keep the newest `keep` results per suite (validation store and Data Docs pages),
        so that neither the store nor the Data Docs index grows without end."""
        for base in (
            self.dir / "uncommitted" / "validations",
            self.dir / "uncommitted" / "data_docs" / "local_site" / "validations",
        ):
            if not base.is_dir():
                continue
            for suite_dir in base.iterdir():
                if not suite_dir.is_dir():
                    continue
                runs = sorted((p for p in suite_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
                for old in runs[:-keep] if keep else runs:
                    shutil.rmtree(old, ignore_errors=True)


def _describe_failure(result: Any, frame: pd.DataFrame) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    what = f"{config.type}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return f"{what}: error: {info.get('exception_message')}"
    res = result.result or {}
    details = []
    if "unexpected_count" in res:
        details.append(f"{res['unexpected_count']} unexpected of {res.get('element_count')}")
    if res.get("partial_unexpected_list"):
        details.append(f"e.g. {res['partial_unexpected_list'][:5]}")
    if "observed_value" in res:
        details.append(f"observed {res['observed_value']!r}")
    index = res.get("partial_unexpected_index_list")
    if index and frame.index.name:
        details.append(f"{frame.index.name}: {sorted({str(i) for i in index})[:10]}")
    return f"{what}: {'; '.join(details)}"


# Opening the file context and bringing it in line with the suites takes about 3 s (a
# 1-day pipeline run opened it four times: 13 s of the run, cProfile, docs/decisions/0007).
# A process keeps the project it opened last, and opens it again for another root, when
# the suites it must hold differ or when a definition file on disk changed (another
# process synced it).
_OPENED: dict[str, tuple[Path, Mapping[str, Suite], tuple[tuple[str, int], ...], GxProject]] = {}


def _definition_files_state(root: Path) -> tuple[tuple[str, int], ...]:
    """Path and modification time of every committed GX definition file (not the results)."""
    gx_dir = root / "gx"
    files = [gx_dir / "great_expectations.yml"]
    for name in ("expectations", "checkpoints", "validation_definitions"):
        if (gx_dir / name).is_dir():
            files.extend(path for path in (gx_dir / name).rglob("*") if path.is_file())
    return tuple(sorted((str(path), path.stat().st_mtime_ns) for path in files if path.exists()))


@contextmanager
def gx_project(suites: Mapping[str, Suite], gx_project_root: Path | None = None) -> Iterator[GxProject]:
    root = Path(gx_project_root or DEFAULT_GX_PROJECT).resolve()
    (root / "gx" / "uncommitted").mkdir(parents=True, exist_ok=True)
    # One run at a time per GX project: the stores are plain files.
    with FileLock(str(root / "gx" / "uncommitted" / "quality.lock")):
        opened = _OPENED.get("last")
        if opened is not None and opened[:3] == (root, suites, _definition_files_state(root)):
            project = opened[3]
        else:
            project = GxProject(suites, root)
            _OPENED["last"] = (root, dict(suites), _definition_files_state(root), project)
        project.prune()
        yield project


def open_in_background(suites: Mapping[str, Suite], gx_project_root: Path | None = None) -> threading.Thread:
    """Open the GX project in a thread of this process, so that a later gx_project() of the
    same suites in this process finds it open (_OPENED).

    A pipeline run opens it while its dbt step waits on dbt (a subprocess) instead of in the
    checks after that step (docs/decisions/0017). The caller joins the thread before its step
    ends. Should the opening fail, the checks open the project again and report the error."""

    def open_project() -> None:
        try:
            with gx_project(suites, gx_project_root):
                pass
        except Exception:  # noqa: BLE001 - the checks open it again and fail with the cause
            logging.getLogger(__name__).warning("opening the GX project in advance failed", exc_info=True)

    thread = threading.Thread(target=open_project, name="gx-project-open", daemon=True)
    thread.start()
    return thread
