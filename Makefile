# Lägesbild — one entry point for people and CI (`make help`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATA_DIR ?= $(or $(LAGESBILD_DATA_DIR),data)
TEST_WORKERS ?= 2
# pytest-xdist workers for `make test`; each test module runs whole in one worker (loadfile),
# each worker builds the shared small run once. TEST_WORKERS=0 runs in one process. The suite
# is CPU-bound: on 2 cores, 3 workers took 824 s (1,502 CPU seconds) against 770 s for 2.

.DEFAULT_GOAL := help
.PHONY: help install run test lint format ui bench clean seeds browser servers tracer serve

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 required, found {sys.version.split()[0]}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	LAGESBILD_WAREHOUSE_PATH=/tmp/lagesbild-parse.duckdb $(BIN)/dagster-dbt project prepare-and-package --file assets/warehouse/project.py
	touch $(INSTALLED)

install: $(INSTALLED) ## create .venv and install Lägesbild with its dev tools

run: $(INSTALLED) ## install, generate the default data if absent, run and publish everything
	LAGESBILD_DATA_DIR=$(DATA_DIR) $(BIN)/lagesbild demo

browser: ## install Debian's chromium for the report test when it is missing (needs root)
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

servers: ## install Debian's nginx and PostgreSQL server binaries for the stack tests when missing (needs root)
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update && apt-get install -y --no-install-recommends nginx postgresql)

tracer: ## install strace for the test that holds a reader's open of a published file (needs root)
	@command -v strace >/dev/null || (apt-get update && apt-get install -y --no-install-recommends strace)

test: $(INSTALLED) browser servers tracer lint ## install, lint (ruff, import layers) and run the whole test suite
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(INSTALLED) ## ruff check, format check and the import layers (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(INSTALLED) ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(INSTALLED) ## national-scale benchmark → benchmarks/results/latest.json, BENCHMARKS.md
	$(BIN)/python benchmarks/run_bench.py

serve: $(INSTALLED) ## the production stack on this machine (PostgreSQL, daemon, both UIs, nginx)
	LAGESBILD_DATA_DIR=$(DATA_DIR) $(BIN)/lagesbild serve

ui: $(INSTALLED) ## start the Dagster UI on 127.0.0.1:3000
	LAGESBILD_DATA_DIR=$(DATA_DIR) $(BIN)/lagesbild ui

seeds: $(INSTALLED) ## rebuild the reference seeds from ../shared/reference
	$(BIN)/python -m lagesbild.reference.build_seeds

clean: ## remove dbt artefacts (not the data directory)
	rm -rf dbt_project/target dbt_project/logs
