#!/usr/bin/env bash
# The whole test suite: lint, a dbt build (models + data tests + unit tests) on a freshly
# generated small dataset with bad rows, then pytest. Everything runs in a temporary
# warehouse file; the dev warehouse is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
export DBT_PROFILES_DIR="$PWD" DBT_PROJECT_DIR="$PWD"
work="$(mktemp -d -t health-test-XXXXXX)"
trap 'rm -rf "$work"' EXIT

bash scripts/lint.sh

echo "== dbt build on generated data with bad rows"
export HEALTH_DUCKDB_PATH="$work/ci.duckdb"
end_date="$(date -u -d 'yesterday' +%F)"
python -m healthgen --duckdb-path "$HEALTH_DUCKDB_PATH" \
    --accounts 200 --days 240 --seed 7 --bad-rows-rate 0.02 --end-date "$end_date" --quiet
start_date="$(date -u -d "$end_date - 29 days" +%F)"
dbt build --target-path "$work/target" --log-path "$work/logs" \
    --vars "{health_start_date: '$start_date', health_end_date: '$end_date'}"

echo "== Great Expectations checkpoints (marts blocking, raw warning) and the serving copy"
python -m customer_health.quality --duckdb-path "$HEALTH_DUCKDB_PATH" --suite marts \
    --start-date "$start_date" --end-date "$end_date" --data-docs
python -m customer_health.quality --duckdb-path "$HEALTH_DUCKDB_PATH" --suite raw \
    --state-path "$work/raw_state.json" || echo "raw suites warned (non-blocking)"
python -m customer_health.serving publish --duckdb-path "$HEALTH_DUCKDB_PATH" \
    --serving-dir "$work/serving" --run-results "$work/target/run_results.json"

echo "== pytest"
python -m pytest -q -n 2 --dist loadfile tests
