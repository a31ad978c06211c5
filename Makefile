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

.PHONY: install run test ui bench sample clean check

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev]'
	cd dbt && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	@touch $(STAMP)

install: $(STAMP)

sample: install
	@if [ -z "$$(ls -A $(CLIENTPULSE_LANDING_DIR) 2>/dev/null)" ]; then \
		echo "landing folder is empty: generating a $(SAMPLE_CUSTOMERS)-customer sample"; \
		$(BIN)/clientpulse generate --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) --out $(CLIENTPULSE_LANDING_DIR); \
	fi

run: sample
	$(BIN)/clientpulse run

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile tests

ui: install
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg dev --host 127.0.0.1 --port 3000

bench: install
	$(BIN)/python -m bench

check: install
	$(BIN)/dg check defs
	$(BIN)/ruff check dagster_project ml data_quality tests bench

clean:
	rm -rf data/warehouse.duckdb data/serving.duckdb dbt/target
