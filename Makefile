# Everything a fresh machine needs comes from these targets: a virtual environment in
# .venv with cohost and (for the demo and tests) Synapse from PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCALE := handlers/locale
MOS := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/cohost.po))

.PHONY: demo test unit bench lint clean catalogs messages lock

# The versions the tests run with are the lock's (hashes checked); cohost itself on top.
$(STAMP): pyproject.toml requirements/test.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing a dependency in pyproject.toml: the locks again (uv, from PyPI).
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	for extra in runtime test; do \
		$(BIN)/uv pip compile pyproject.toml $$( [ $$extra = test ] && echo --extra test ) \
			--python-version 3.11 --python-platform x86_64-manylinux_2_28 \
			--generate-hashes --quiet -o requirements/$$extra.lock; \
	done

# The catalogs cohost speaks from, compiled (the .po files are the source).
catalogs: $(MOS)

$(LOCALE)/%/LC_MESSAGES/cohost.mo: $(LOCALE)/%/LC_MESSAGES/cohost.po $(STAMP)
	$(BIN)/pybabel compile --domain cohost --input-file $< --output-file $@

# After changing a text: the template, and each language's catalog brought in step.
messages: $(STAMP)
	$(BIN)/python -m tests.catalogs extract
	$(BIN)/pybabel update --domain cohost --input-file $(LOCALE)/cohost.pot \
		--output-dir $(LOCALE) --no-fuzzy-matching --ignore-obsolete

demo: $(STAMP) catalogs
	$(BIN)/cohost demo

test: lint catalogs
	$(BIN)/python -m pytest -q -n 2 --dist worksteal --durations=15 $(PYTEST_ARGS)

unit: $(STAMP) catalogs
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check service handlers storage tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV)
