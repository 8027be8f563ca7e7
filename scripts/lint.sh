#!/usr/bin/env bash
# Static checks: ruff over the Python code, sqlfluff (dbt templater) over the models.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"
ruff check .
echo "== sqlfluff (dbt templater, lint target: never touches the dev warehouse)"
HEALTH_DBT_TARGET=lint sqlfluff lint models --processes 2 --disable-progress-bar
