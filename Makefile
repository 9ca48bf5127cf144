# Meridian: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck assets bench drills clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

assets:
	@if [ -f package.json ]; then $(MAKE) --no-print-directory $(VENV)/.assets; fi

$(VENV)/.assets: package.json package-lock.json scripts/build_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/build_assets.py
	touch $@

run: $(STAMP) assets
	$(BIN)/meridian demo

test: $(DEV_STAMP) assets
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

bench: $(DEV_STAMP) assets
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

drills: $(DEV_STAMP)
	$(BIN)/pytest -q -m drill tests/drills

clean:
	rm -rf $(VENV) node_modules .meridian
