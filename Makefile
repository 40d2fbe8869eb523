# Both targets are self-sufficient on a fresh machine: they create .venv and install the
# project with its test extra whenever pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_NET := --block-network --allowed-hosts=127.0.0.1,localhost --record-mode=none

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/host-stub demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	bash .ci/ensure-redis-server
	$(BIN)/pytest $(PYTEST_NET)

clean:
	rm -rf $(VENV) .host_stub .mypy_cache .ruff_cache .pytest_cache

bench: $(STAMP)
	$(BIN)/python bench/throughput.py
