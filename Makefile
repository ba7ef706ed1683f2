# Everything a fresh machine needs comes from these targets: a virtual environment in
# .venv with cohost and (for the demo and tests) Synapse from PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cohost demo

test: lint
	$(BIN)/python -m pytest -q -n 2 --dist worksteal --durations=15 $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check service handlers storage tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV)
