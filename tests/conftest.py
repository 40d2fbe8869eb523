"""Shared fixtures: fresh plugin managers (never the real entry points), a pluggy host with
the CrowdTwist plugin built with the tests' options, and a record of every wait."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pluggy
import pytest

from crowdtwist_plugin.options import ClientOptions
from crowdtwist_sandbox import Sandbox, SandboxConfig, run_sandbox
from host_stub.plugins import make_plugin_manager
from tests.helpers.host import Host, RetryLog, connection_for, test_options
from tests.host.echo_plugin import EchoPlugin


@pytest.fixture
def echo() -> EchoPlugin:
    return EchoPlugin()


@pytest.fixture
def echo_pm(echo: EchoPlugin) -> Iterator[pluggy.PluginManager]:
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(echo, name="echo")
    try:
        yield pm
    finally:
        pm.unregister(echo)


@pytest.fixture
def client_options() -> ClientOptions:
    """The plugin's options in tests; override the fixture to change them for a module."""
    return test_options()


@pytest.fixture
def host(client_options: ClientOptions) -> Iterator[Host]:
    """A pluggy host with only the CrowdTwist plugin, unregistered afterwards."""
    running = Host(client_options)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(autouse=True)
def retries() -> Iterator[RetryLog]:
    """Every retry wait and 429 pause the plugin logs during the test."""
    record = RetryLog()
    logger = logging.getLogger("crowdtwist_plugin")
    level = logger.level
    logger.addHandler(record)
    logger.setLevel(logging.DEBUG)
    try:
        yield record
    finally:
        logger.removeHandler(record)
        logger.setLevel(level)


@pytest.fixture
def recorded_pauses(retries: RetryLog) -> list[float]:
    """The pause each 429 asked of every request sharing the throttle."""
    return retries.pauses


@pytest.fixture
async def sandbox(sandbox_config: SandboxConfig) -> AsyncIterator[Sandbox]:
    """A sandbox on loopback for the test; each suite defines ``sandbox_config``."""
    async with run_sandbox(sandbox_config) as running:
        yield running


@pytest.fixture
def connection(sandbox: Sandbox) -> dict[str, Any]:
    return connection_for(sandbox)
