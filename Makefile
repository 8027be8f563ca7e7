# Two commands do all the set-up on a fresh machine:
#   make demo   build the warehouse from generated demo data (DuckDB) and show the result
#   make test   run the whole test suite (lint, dbt build + tests on fresh data, pytest)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)

.PHONY: install demo test lint manifest dagster clean dashboard semantic benchmark quality publish run recalculate docs spark-install spark-check

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/python -m orchestration.demo $(ARGS)

test: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/test.sh

lint: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/lint.sh

# Prepare target/manifest.json for Dagster (it never runs `dbt parse` at import time): a full
# parse, as customer_health.manifest.prepare() does (docs/decisions/0024).
manifest: install
	HEALTH_DBT_TARGET=lint $(BIN)/dbt parse --no-partial-parse --quiet

# The Dagster UI on the dev warehouse; the instance limits the warehouse pool to one writer.
# The code location calls the venv's dbt by path: no venv on PATH needed.
dagster: manifest
	mkdir -p .dagster_home
	test -f .dagster_home/dagster.yaml || cp orchestration/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m orchestration.definitions $(ARGS)

# Executive dashboard on the published serving copy ($$HEALTH_SERVING_PATH / $$HEALTH_SERVING_DIR).
dashboard: install
	$(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.headless true \
	    --browser.gatherUsageStats false --client.toolbarMode viewer $(ARGS)

semantic: install
	HEALTH_DBT_TARGET=lint $(BIN)/dbt parse --quiet && $(BIN)/mf validate-configs --skip-dw

# Benchmarks: make benchmark ARGS="--accounts 10000" (see benchmarks/run.py).
benchmark: install
	$(BIN)/python benchmarks/run.py $(ARGS)

# dbt docs for every model and column, on the dev warehouse.
docs: install
	$(BIN)/dbt docs generate && $(BIN)/dbt docs serve --host 127.0.0.1 --port 8080

quality: manifest
	$(BIN)/python -m customer_health.quality --suite all --data-docs $(ARGS)

# Re-publish the marts by hand after checking them (the pipeline publishes by itself).
publish: install
	$(BIN)/python -m customer_health.serving publish $(ARGS)

# Run one job of the code location in process: make run JOB=health_daily_job ARGS="--start D --end D"
JOB ?= health_daily_job
run: manifest
	$(BIN)/python -m orchestration.run $(JOB) $(ARGS)

# Recalculate a window of days as one run: make recalculate START=2026-06-01 END=2026-11-30
recalculate: manifest
	$(BIN)/python -m orchestration.run health_recalculation_job --start $(START) --end $(END)

# Spark (docs/spark.md): a separate venv (.venv-spark) with the locked stack plus dbt-spark and
# pyspark, so that the main venv never sees pyspark (Great Expectations imports it when
# present); then one generated dataset built on DuckDB and on local Spark, public marts compared.
# make spark-check ARGS="--accounts 100 --work-dir /tmp/x" (see tools/spark/equivalence.py).
SPARK_VENV ?= .venv-spark
$(SPARK_VENV)/bin/.installed: requirements.lock requirements-spark.txt
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-spark.txt
	touch $@

spark-install: $(SPARK_VENV)/bin/.installed

spark-check: spark-install
	PATH=$(CURDIR)/$(SPARK_VENV)/bin:$$PATH $(SPARK_VENV)/bin/python -m tools.spark.equivalence $(ARGS)

clean:
	rm -rf target logs warehouse .pytest_cache serving gx/uncommitted .spark .venv-spark .dagster_home
