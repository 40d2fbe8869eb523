"""Shared fixtures: fresh plugin managers (never the real entry points), a pluggy host with
the CrowdTwist plugin, and waits that are recorded instead of slept."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pluggy
import pytest

import crowdtwist_plugin.deletion
from crowdtwist_plugin.retry import RETRY_POLICY, RetryPolicy
from crowdtwist_plugin.throttle import Throttle
from host_stub.plugins import make_plugin_manager
from host_stub.sandbox import Sandbox, SandboxConfig, run_sandbox
from tests.host.echo_plugin import EchoPlugin
from tests.support import Host, RecordingSleep, connection_for


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
def host() -> Iterator[Host]:
    """A pluggy host with only the CrowdTwist plugin, unregistered afterwards."""
    running = Host()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(autouse=True)
def fake_sleep() -> Iterator[RecordingSleep]:
    """Every retry wait is recorded instead of slept; the jitter is seeded."""
    sleep = RecordingSleep()
    token = RETRY_POLICY.set(RetryPolicy(sleep=sleep, rng=random.Random(20261127)))
    try:
        yield sleep
    finally:
        RETRY_POLICY.reset(token)


@pytest.fixture(autouse=True)
def fresh_status_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin remembers which deletion-status path worked per origin; start each test
    clean (replayed cassettes and sandboxes on reused ports share origins)."""
    monkeypatch.setattr(crowdtwist_plugin.deletion, "_preferred_status_route", {})


@pytest.fixture
def recorded_pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pause a 429 asks of every request sharing the throttle, and pause 0 s."""
    pauses: list[float] = []
    original = Throttle.throttled_by_service

    def throttled_by_service(self: Throttle, pause: float) -> None:
        pauses.append(pause)
        original(self, 0.0)

    monkeypatch.setattr(Throttle, "throttled_by_service", throttled_by_service)
    return pauses


@pytest.fixture
async def sandbox(sandbox_config: SandboxConfig) -> AsyncIterator[Sandbox]:
    """A sandbox on loopback for the test; each suite defines ``sandbox_config``."""
    async with run_sandbox(sandbox_config) as running:
        yield running


@pytest.fixture
def connection(sandbox: Sandbox) -> dict[str, Any]:
    return connection_for(sandbox)
