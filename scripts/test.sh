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

echo "== pytest"
python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder tests
