#!/usr/bin/env bash
# The whole test suite: lint, then pytest. The tests build their warehouses with the
# production pipeline itself (tests/conftest.py runs the Dagster daily job over a window on
# generated data with bad rows: dbt build with every data and unit test, the Great
# Expectations checks, the serving publication, alert delivery). Everything runs in
# temporary files; the dev warehouse is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
export DBT_PROFILES_DIR="$PWD" DBT_PROJECT_DIR="$PWD"

bash scripts/lint.sh

echo "== dbt manifest (read by Dagster and the quality checks)"
python -c "from customer_health.manifest import prepare; print(prepare())"

# The tests' worlds (DuckDB files, Dagster homes, serving copies) live in a RAM-backed
# tmpfs when the machine has one: a Dagster run commits ~1,500 events to its SQLite event
# log and dbt commits every model to DuckDB, each commit an fsync on a disk
# (docs/decisions/0007). HEALTH_TEST_TMPDIR chooses another place.
if [ -z "${HEALTH_TEST_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] \
    && [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -gt 4000000 ]; then
    HEALTH_TEST_TMPDIR="/dev/shm/health-tests-$(id -u)"
fi
if [ -n "${HEALTH_TEST_TMPDIR:-}" ]; then
    mkdir -p "$HEALTH_TEST_TMPDIR"
    export TMPDIR="$HEALTH_TEST_TMPDIR"
    echo "   temporary files in $TMPDIR"
fi

echo "== pytest"
python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=25 tests

# A passing run leaves nothing behind in the RAM-backed directory; a failing run keeps its
# worlds for reading (pytest keeps one session's: tmp_path_retention_count).
if [ -n "${HEALTH_TEST_TMPDIR:-}" ]; then
    rm -rf "$HEALTH_TEST_TMPDIR/pytest-of-$(id -un)"
fi
