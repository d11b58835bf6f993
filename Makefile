# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# Two workers for two cores; a file's tests stay on one worker (its module fixtures, e.g. a
# sandbox or an applied city, are made once).
XDIST ?= -n 2 --dist loadfile
FAST  := -m "not slow and not integration and not browser and not fuzz"

.PHONY: setup demo test test-fast clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "govcloud needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,dev]'
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	@bash scripts/demo.sh

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
# `make test`: every test. `make test-fast`: the unit tests and the other quick ones (no
# sandbox cloud, no browser, no fuzzing, nothing marked slow).
# Bytecode is written during the tests even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): hundreds of CLI, engine and sandbox processes would otherwise each
# compile govcloud, the tests and the wheel test's venv from source again.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

test: setup
	@$(PYTEST) $(XDIST) --durations=25 $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$rc

test-fast: setup
	@$(PYTEST) $(XDIST) $(FAST) $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$rc

bench: setup
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/check.py
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) .govcloud .pytest_cache .hypothesis build dist
