# The two commands of the README. Both work on a fresh machine with Python,
# pip and apt: they create .venv when missing and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## make serve: install and serve the demo app at http://$(HOST):$(PORT) until Ctrl-C
serve: $(VENV)/.installed
	$(BIN)/tapster serve tapster.demo:app --bind $(HOST):$(PORT) --access-log -

## make test: install test dependencies (Python and system), then run the whole suite
test: $(VENV)/.installed-test
	scripts/install-system-deps
	$(BIN)/ruff check src tests bench examples fuzz
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples fuzz

## make bench: the benchmark against peers (see docs/benchmarks.md)
bench: $(VENV)/.installed
	$(PYTHON) bench/run.py

clean:
	rm -rf $(VENV) .venv-bench .pytest_cache .ruff_cache .hypothesis
