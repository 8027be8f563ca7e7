"""Great Expectations checks of the warehouse: what dbt's row-level tests cannot say.

    python -m customer_health.quality [--suite raw|marts|all] [--start-date D --end-date D]

suites.py defines the suites, gx_project.py keeps the GX file context in `gx/` in line
with them, validate.py runs them on the warehouse. In production they run as Dagster
asset checks (orchestration/quality): raw ones warn, mart ones block publication.
"""

from customer_health.quality.gx_project import QualityResult, SuiteResult
from customer_health.quality.validate import open_ahead, validate_marts, validate_raw

__all__ = ["QualityResult", "SuiteResult", "open_ahead", "validate_marts", "validate_raw"]
