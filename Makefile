# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Debian's /usr/bin/python3.11 runs our code 1.4-1.8x faster than an unoptimised build
# (DESIGN.md), so the virtualenv prefers it.
VENV ?= .venv
PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || echo python3)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help system-deps setup jars lint test test-unit demo bench clean

help:
	@echo "make demo       set up, then run the axis with simulated agencies on a local broker"
	@echo "make test       set up, then ruff, mypy and pytest (unit + real-broker integration)"
	@echo "make test-unit  only the tests that need no Java"
	@echo "make lint       ruff and mypy"

# Re-install when pyproject or the set of modules changes (strict editable links files).
SOURCE_DIRS := $(shell find lienthong schemas producers consumers connectors monitoring -type d -not -name __pycache__ 2>/dev/null)

# Quiet: pip's -q still prints every error. Strict editable mode (mypy and pytest see the
# lienthong namespace as installed) makes setuptools warn that build/ must stay; we know,
# so that one notice is filtered by its text and any other warning still shows.
QUIET_PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS="ignore:Editable installation"

$(STAMP): pyproject.toml $(SOURCE_DIRS)
	@echo "Installing lienthong and its dependencies into $(VENV) (1-3 minutes the first time)..."
	@$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	@$(QUIET_PIP) $(BIN)/pip install -q --upgrade pip
	@$(QUIET_PIP) $(BIN)/pip install -q --config-settings editable_mode=strict -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

system-deps:
	bash .ci/system-deps

jars: setup
	$(BIN)/lienthong broker fetch

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: system-deps lint jars
	$(BIN)/pytest

test-unit: setup
	$(BIN)/pytest -m "not kafka"

demo: system-deps jars
	$(BIN)/lienthong demo

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
