"""Load the generator's raw sources into Spark tables, typed as the raw-source contract.

    python -m tools.spark.load [--duckdb-path X] [--spark-dir D]

The generator (`python -m healthgen`) writes the 14 raw tables into a
DuckDB file. Each table is exported by DuckDB to Parquet (a staging copy under
<spark-dir>/landing/) and created in Spark as a managed Parquet table
`<schema>.<table>` (crm, billing, product, support, survey) with every column cast to
the Spark type of its contract type, so that staging sees the same types as on DuckDB:
varchar -> string, timestamp (UTC, no time zone) -> timestamp with the session time
zone UTC, decimal(p,s), integer, bigint, boolean and date unchanged. Existing tables are
replaced. Needs pyspark (requirements-spark.txt).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import duckdb

from customer_health.config import warehouse_path
from customer_health.safety import safe_identifier
from healthgen.generator import RAW_TABLES
from tools.spark.env import spark_dir, start_session

# DuckDB type of the contract -> Spark SQL type.
SPARK_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "INTEGER": "int",
    "DATE": "date",
}


def spark_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.lower()
    return SPARK_TYPES[duckdb_type]


def export_parquet(duckdb_path: Path, landing: Path) -> dict[str, Path]:
    """Every raw table as one Parquet file under `landing` (replaced)."""
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    files: dict[str, Path] = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        for table, columns in RAW_TABLES.items():
            schema, name = (safe_identifier(part) for part in table.split("."))
            target = landing / f"{schema}__{name}.parquet"
            select = ", ".join(f'"{column}"' for column, _ in columns)
            con.execute(f"COPY (SELECT {select} FROM {schema}.{name}) TO '{target}' (FORMAT parquet)")
            files[table] = target
    return files


def load(duckdb_path: Path, directory: Path) -> dict[str, int]:
    """Create the raw tables in the Spark catalog under `directory`; row count per table."""
    files = export_parquet(duckdb_path, directory / "landing")
    spark = start_session("customer-health-load", directory)
    counts: dict[str, int] = {}
    try:
        for table, columns in RAW_TABLES.items():
            schema, name = table.split(".")
            spark.sql(f"create database if not exists {schema}")
            spark.sql(f"drop table if exists {schema}.{name}")
            select = ",\n    ".join(
                f"cast(`{column}` as {spark_type(kind)}) as `{column}`" for column, kind in columns
            )
            spark.sql(
                f"create table {schema}.{name} using parquet as\n"
                f"select\n    {select}\nfrom parquet.`{files[table]}`"
            )
            counts[table] = spark.table(f"{schema}.{name}").count()
    finally:
        spark.stop()
    return counts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.spark.load", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--duckdb-path",
        type=Path,
        default=warehouse_path(),
        help="DuckDB file the generator wrote (default: $HEALTH_DUCKDB_PATH)",
    )
    p.add_argument(
        "--spark-dir",
        type=Path,
        default=None,
        help="Spark catalog directory (default: $HEALTH_SPARK_DIR or .spark/)",
    )
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    directory = (a.spark_dir or spark_dir()).resolve()
    started = time.perf_counter()
    counts = load(a.duckdb_path, directory)
    if not a.quiet:
        width = max(len(t) for t in counts)
        for table, n in counts.items():
            print(f"  {table:<{width}}  {n:>12,}")
        print(
            f"loaded {len(counts)} raw tables into Spark ({directory}) in "
            f"{time.perf_counter() - started:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
