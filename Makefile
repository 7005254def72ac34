# The interface to the project. `make run` and `make test` are the two commands of the README's quick start;
# both create (or reuse) the virtualenv in .venv from the hashed lock file first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
DAGSTER_PORT ?= 3000
DASHBOARD_PORT ?= 8501
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export SODA_CORE_TELEMETRY_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: help setup browser run test test-spark lint pytest dev dashboard docs lock clean bench bench-dashboard

help:
	@echo "make run        generate the default synthetic data set and run the whole pipeline (DuckDB)"
	@echo "make test       lint the dbt models and run the whole test suite"
	@echo "make test-spark build the dbt project on Spark and compare its marts with DuckDB's (part of make test)"
	@echo "make dev        Dagster UI on http://$(HOST):$(DAGSTER_PORT)"
	@echo "make dashboard  dashboard on http://$(HOST):$(DASHBOARD_PORT)"
	@echo "make docs       regenerate docs/data_dictionary.md and the dbt sources from the canonical schema"
	@echo "make lock       re-resolve requirements.lock after changing pyproject.toml (needs uv)"
	@echo "make browser    install Debian's chromium and fonts for the dashboard's browser test (apt; sudo if not root)"
	@echo "make bench SCALE=1  benchmark the whole pipeline at a scale: full, incremental, nothing new (bench/README.md)"
	@echo "make bench-dashboard  server-side render time of every dashboard page (BENCH_ARGS=..., bench/README.md)"

setup: $(STAMP)

# Everything is installed from requirements.lock with hashes (--no-deps: the lock is the whole tree).
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Python 3.11 is required (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: setup
	$(BIN)/procure generate
	$(BIN)/procure run

# The dashboard's browser test (tests/e2e/test_dashboard_browser.py) drives the system chromium through
# Playwright: `playwright install` downloads its own browser, which CI cannot. So chromium comes from apt, with
# the fonts screenshots need for their glyphs; nothing is installed when all of it is already there.
BROWSER_PACKAGES := chromium fonts-dejavu-core fonts-liberation
browser:
	@missing=""; \
	command -v chromium >/dev/null || missing=" chromium"; \
	if command -v dpkg-query >/dev/null; then \
	  for p in fonts-dejavu-core fonts-liberation; do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	  done; \
	fi; \
	[ -z "$$missing" ] && exit 0; \
	hint="install the Debian packages $(BROWSER_PACKAGES) (apt-get install -y --no-install-recommends $(BROWSER_PACKAGES))"; \
	command -v apt-get >/dev/null || { echo "error: missing$$missing and no apt-get here: $$hint"; exit 1; }; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "error: missing$$missing; not root and no sudo: as root, $$hint"; exit 1; fi; \
	echo "missing$$missing: installing $(BROWSER_PACKAGES) with apt-get (for the dashboard's browser test)"; \
	$$sudo apt-get update || exit 1; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) || exit 1; \
	command -v chromium >/dev/null || { echo "error: chromium is still not on PATH after apt-get install"; exit 1; }

test: setup browser lint pytest

lint: setup
	cd dbt_project && ../$(BIN)/sqlfluff lint models --processes 2

pytest: setup
	$(BIN)/python -m pytest

# The dbt project built on Spark (dbt-spark, a local pyspark session; needs Java 17) from the default data
# set's raw data, its marts compared with the DuckDB build's (dbt_project/README.md "Spark"). The test is
# also collected by `make pytest`, so `make test` runs it once, sharing the default data set's build.
test-spark: setup
	$(BIN)/python -m pytest -m spark tests/e2e/test_spark_parity.py

dev: setup
	$(BIN)/procure dev --host $(HOST) --port $(DAGSTER_PORT)

dashboard: setup
	$(BIN)/procure dashboard --host $(HOST) --port $(DASHBOARD_PORT)

docs: setup
	$(BIN)/procure docs

lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock

clean:
	rm -rf data dbt_project/target dbt_project/logs

# Not part of `make test`: benchmarks measure time (bench/README.md). E.g. make bench SCALE=10 BENCH_ARGS=--reuse-data
SCALE ?= 1
bench: setup
	$(BIN)/procure bench --scale $(SCALE) $(BENCH_ARGS)

# E.g. BENCH_ARGS="--warehouse PATH --replicate 10".
bench-dashboard: setup
	$(BIN)/python -m bench.dashboard $(BENCH_ARGS)
