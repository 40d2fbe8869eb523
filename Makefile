# Every target is self-sufficient on a fresh clone: it creates its virtual environment and
# installs what it needs whenever a pyproject.toml or a constraints file changes.
#
# Three distributions are built from this repository: the plugin (./pyproject.toml,
# crowdtwist-privacy-plugin), the reference host (hosts/privacy-host-stub/pyproject.toml,
# privacy-host-stub, package host_stub/) and the CrowdTwist sandbox
# (hosts/crowdtwist-sandbox/pyproject.toml, crowdtwist-sandbox, package
# crowdtwist_sandbox/); each project folder under hosts/ is outside its package so that
# builds write nothing into it. The development environment has all three, editable (the
# host with its `sandbox` extra), plus the dependency groups (test tools, ruff and mypy;
# pip >= 25.1 installs groups, hence the pip upgrade first).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_NET := --block-network --allowed-hosts=127.0.0.1,localhost --record-mode=none
HOST_PROJECT := hosts/privacy-host-stub
SANDBOX_PROJECT := hosts/crowdtwist-sandbox
PROJECTS := pyproject.toml $(HOST_PROJECT)/pyproject.toml $(SANDBOX_PROJECT)/pyproject.toml
EDITABLE := -e '.[redis]' -e './$(HOST_PROJECT)[sandbox]' -e ./$(SANDBOX_PROJECT)

# `make test-lowest`: the same suite on the lowest versions the three distributions declare
# (constraints/lowest.txt), then the plugin alone on its own lower bounds
# (constraints/lowest-plugin.txt): its aiohttp 3.11 is lower than the sandbox's 3.14, so
# there the sandbox runs in a separate process from the first environment.
LOWEST_VENV ?= .venv-lowest
LOWEST_BIN := $(LOWEST_VENV)/bin
LOWEST_STAMP := $(LOWEST_VENV)/.installed-stamp
PLUGIN_VENV ?= .venv-lowest-plugin
PLUGIN_BIN := $(PLUGIN_VENV)/bin
PLUGIN_STAMP := $(PLUGIN_VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest test-lowest bench bench-fleet bench-population bench-profile clean

$(STAMP): $(PROJECTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet $(EDITABLE) --group dev
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

$(LOWEST_STAMP): $(PROJECTS) constraints/lowest.txt
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(LOWEST_BIN)/python -m pip install --quiet -c constraints/lowest.txt $(EDITABLE) \
		--group test
	touch $(LOWEST_STAMP)

$(PLUGIN_STAMP): $(PROJECTS) constraints/lowest-plugin.txt
	rm -rf $(PLUGIN_VENV)
	$(PYTHON) -m venv $(PLUGIN_VENV)
	$(PLUGIN_BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(PLUGIN_BIN)/python -m pip install --quiet -c constraints/lowest-plugin.txt \
		-e . pytest pytest-asyncio
	touch $(PLUGIN_STAMP)

test-lowest: $(LOWEST_STAMP) $(PLUGIN_STAMP)
	$(LOWEST_BIN)/python -m pip check
	$(LOWEST_BIN)/pytest $(PYTEST_NET)
	$(PLUGIN_BIN)/python -m pip check
	CROWDTWIST_SANDBOX_PYTHON=$(LOWEST_BIN)/python \
		$(PLUGIN_BIN)/pytest --noconftest -p no:cacheprovider \
		tests/packaging/test_plugin_alone.py tests/packaging/test_aiohttp_private.py

clean:
	rm -rf $(VENV) $(LOWEST_VENV) $(PLUGIN_VENV) .host_stub .mypy_cache .ruff_cache \
		.pytest_cache build dist *.egg-info \
		$(HOST_PROJECT)/build $(HOST_PROJECT)/dist $(HOST_PROJECT)/*.egg-info \
		$(SANDBOX_PROJECT)/build $(SANDBOX_PROJECT)/dist $(SANDBOX_PROJECT)/*.egg-info \
		host_stub/build host_stub/*.egg-info  # left by builds before hosts/ existed

bench: $(STAMP)
	$(BIN)/python -m bench.throughput
	$(MAKE) bench-population
	$(MAKE) bench-fleet

# 200 typical subjects under each true reading, readings unknown / pinned / learned.
bench-population: $(STAMP)
	$(BIN)/python -m bench.population

# The single subject's client under cProfile: bench-results/profile.txt.
bench-profile: $(STAMP)
	$(BIN)/python -m bench.throughput profile

# Several worker processes, one API key, with and without the Redis budget (issue 13).
bench-fleet: $(STAMP)
	bash .ci/ensure-redis-server
	$(BIN)/python -m bench.fleet
