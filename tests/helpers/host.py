"""The host stub's plugin manager with the CrowdTwist plugin, built with the tests' options.

Retry waits are backoff's real sleeps, kept to milliseconds by ``TEST_RETRY``; the
throttle's sleep is ``instant_sleep``. What the plugin waited is read from its log records
(``RetryLog``), never from the sleeps themselves.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

import attrs

from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing.rules import RetryPolicy
from crowdtwist_plugin.plugin import CrowdTwistPlugin
from crowdtwist_sandbox import Sandbox
from host_stub.plugins import call_hook, make_plugin_manager
from tests.packaging.schema_check import assert_matches_schema

FAST_RATE = 600_000  # requests per minute: the throttle never holds anything back
SHORT_READ = 0.1  # seconds: a socket-read timeout that a latency fault of 0.3 s outlasts
# Retry waits are backoff's real sleeps: the tests' policy keeps them to milliseconds.
TEST_RETRY = RetryPolicy(base=0.001, max_backoff=0.03, max_retry_after=0.2)


async def instant_sleep(seconds: float) -> None:
    """The throttle's sleep in tests: the budget never holds a request back for real."""
    await asyncio.sleep(0)


class CeilingRandom(random.Random):
    """Full jitter without the jitter: ``uniform(a, b)`` is always ``b``."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_options(**changes: Any) -> ClientOptions:
    """Options for tests: millisecond retries, a throttle that never waits, seeded jitter."""
    defaults: dict[str, Any] = {
        "retry": attrs.evolve(TEST_RETRY, rng=random.Random(20261127)),
        "sleep": instant_sleep,
    }
    return ClientOptions(**{**defaults, **changes})


test_options.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


class Host:
    """The host stub's plugin manager with only a CrowdTwist plugin built with ``options``."""

    def __init__(self, options: ClientOptions | None = None) -> None:
        self.pm = make_plugin_manager(load_entrypoints=False)
        self.plugin = CrowdTwistPlugin(options or test_options())
        self.pm.register(self.plugin, name="crowdtwist")
        self.last_stats: dict[str, Any] = {}

    @property
    def options(self) -> ClientOptions:
        return self.plugin.options

    def configure(self, **changes: Any) -> None:
        """Swap in a plugin with these option changes (a fresh throttle with it)."""
        self.close()
        self.plugin = CrowdTwistPlugin(attrs.evolve(self.plugin.options, **changes))
        self.pm.register(self.plugin, name="crowdtwist")

    def close(self) -> None:
        self.pm.unregister(self.plugin)

    async def call(self, hook: str, **kwargs: Any) -> dict[str, Any]:
        """The hook's output, checked against the schema the plugin ships for it.

        Its ``stats`` (what this one call cost, different on every call) are kept apart in
        ``last_stats``, as a host stores them, so outputs compare equal across calls.
        """
        result = await call_hook(self.pm, hook, integration="crowdtwist", **kwargs)
        assert_matches_schema(hook, result)
        self.last_stats = result.pop("stats")
        return result

    async def validate(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        return await self.call("validate_credentials", connection=connection)

    async def access(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.call("handle_access", connection=connection, identifiers=identifiers)

    async def submit(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.call("submit_deletion", connection=connection, identifiers=identifiers)

    async def check(
        self, connection: Mapping[str, Any], ticket: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.call("check_deletion", connection=connection, ticket=ticket)


class RetryLog(logging.Handler):
    """What the plugin logs about waiting: each retry's wait and each 429's pause."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.delays: list[float] = []
        self.pauses: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(wait := getattr(record, "wait", None), float | int):
            self.delays.append(float(wait))
        if isinstance(pause := getattr(record, "pause", None), float | int):
            self.pauses.append(float(pause))


def connection_for(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """A connection to ``sandbox`` at a rate the throttle never holds back."""
    return {
        "api_key": sandbox.api_key,
        "api_base_url": sandbox.api_base_url,
        "pos_base_url": sandbox.pos_base_url,
        "rate_limit_per_minute": FAST_RATE,
        **extra,
    }
