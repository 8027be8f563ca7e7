"""The local Spark catalog shared by the loader, `dbt --target spark` and the equivalence check.

dbt-spark's `session` method starts Spark inside the dbt process; tables made by another
process are visible only through a persistent catalog: a warehouse directory plus a Derby
metastore under $HEALTH_SPARK_DIR (default `.spark/` in the project, git-ignored). The
settings here mirror the `spark` output of profiles.yml, so every process sees the same
catalog with the same session settings. Derby admits one process at a time: run the
loader, dbt and the check one after the other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

from customer_health.config import PROJECT_DIR

PYSPARK_MISSING = (
    "pyspark is not installed in this venv: run `make spark-check` (it creates .venv-spark "
    "with requirements-spark.txt), or `.venv-spark/bin/pytest tests/test_spark_equivalence.py`"
)


def spark_dir() -> Path:
    """The catalog directory: $HEALTH_SPARK_DIR, or `.spark/` in the project."""
    return Path(os.environ.get("HEALTH_SPARK_DIR") or PROJECT_DIR / ".spark").resolve()


def session_settings(directory: Path) -> dict[str, str]:
    """Spark settings of the local session (kept equal to profiles.yml, output `spark`)."""
    return {
        "spark.master": os.environ.get("HEALTH_SPARK_MASTER", "local[2]"),
        "spark.driver.memory": os.environ.get("HEALTH_SPARK_DRIVER_MEMORY", "2g"),
        "spark.sql.warehouse.dir": str(directory / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={directory / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={directory} "
            f"-Dlog4j2.configurationFile=file:{directory / 'log4j2.properties'}"
        ),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": os.environ.get("HEALTH_SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.ui.enabled": "false",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.adaptive.enabled": os.environ.get("HEALTH_SPARK_AQE", "false"),
        # dbt-spark forces ANSI mode off; the loader and the check use the same semantics.
        "spark.sql.ansi.enabled": "false",
    }


LOG4J_PROPERTIES = """\
# Spark's own log: errors only (dbt-spark starts a session builder per statement and
# Spark warns about reusing it every time).
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def prepare_dir(directory: Path) -> None:
    """Create the catalog directory and its log configuration (read by every session)."""
    directory.mkdir(parents=True, exist_ok=True)
    log_config = directory / "log4j2.properties"
    if not log_config.exists() or log_config.read_text() != LOG4J_PROPERTIES:
        log_config.write_text(LOG4J_PROPERTIES)


def start_session(app_name: str, directory: Path | None = None) -> SparkSession:
    """A local Spark session on the shared catalog (raises ImportError without pyspark)."""
    from pyspark.sql import SparkSession

    directory = directory or spark_dir()
    prepare_dir(directory)
    builder = SparkSession.builder.appName(app_name).enableHiveSupport()
    for key, value in session_settings(directory).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def pyspark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True
