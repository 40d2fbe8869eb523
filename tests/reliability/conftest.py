"""Fixtures for the reliability suite: a live sandbox per test, fake retry waits, a record
of every outbound request, short socket timeouts and the closing-note outcome table.

Set ``RELIABILITY_TABLE=1`` to print the fault-matrix outcome counts after the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

import crowdtwist_plugin.client
import crowdtwist_plugin.deletion
from crowdtwist_plugin.tasks import HOOK_DEADLINE
from host_stub.sandbox import SandboxConfig
from tests.reliability.support import (
    OUTCOMES,
    Outbound,
)

SHORT_READ = 0.1  # seconds: the patched socket-read timeout
SAFETY_DEADLINE = 20.0  # seconds: no hook call in this suite may take longer


@pytest.fixture(autouse=True)
def safety_deadline() -> Iterator[None]:
    """A hang becomes a (retryable) failure after 20 s instead of blocking the suite;
    tests that care about time assert tighter bounds themselves."""
    token = HOOK_DEADLINE.set(SAFETY_DEADLINE)
    try:
        yield
    finally:
        HOOK_DEADLINE.reset(token)


@pytest.fixture(autouse=True)
def no_real_429_pauses(recorded_pauses: list[float]) -> list[float]:
    """A 429 pauses every request sharing the throttle: record it, pause 0 s."""
    return recorded_pauses


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(
        crowdtwist_plugin.client,
        "TIMEOUT",
        aiohttp.ClientTimeout(total=None, connect=2, sock_connect=2, sock_read=SHORT_READ),
    )
    return SHORT_READ


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> Outbound:
    """Record the URL of every request any aiohttp session sends during the test."""
    record = Outbound()
    original = aiohttp.ClientSession._request

    async def _request(self: aiohttp.ClientSession, method: str, url: Any, **kw: Any) -> Any:
        from yarl import URL

        record.sent.append((method, URL(url)))
        return await original(self, method, url, **kw)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", _request)
    return record


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[aiohttp.ClientSession]:
    """Every aiohttp ClientSession created during the test."""
    created: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession.__init__

    def __init__(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        created.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", __init__)
    return created


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """Deletion statuses stand still (a step of 1000 s) so tickets are reproducible."""
    return SandboxConfig(deletion_step_seconds=1000.0)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES or os.environ.get("RELIABILITY_TABLE") != "1":
        return
    terminalreporter.section("reliability: faults tried x outcomes")
    faults = sorted({f for f, _ in OUTCOMES})
    columns = ("exact result", "retryable error", "final error")
    terminalreporter.write_line(f"{'fault':<34}" + "".join(f"{c:>17}" for c in columns))
    for fault in faults:
        counts = "".join(f"{OUTCOMES[fault, c]:>17}" for c in columns)
        terminalreporter.write_line(f"{fault:<34}{counts}")
    totals = "".join(f"{sum(OUTCOMES[f, c] for f in faults):>17}" for c in columns)
    terminalreporter.write_line(f"{'total':<34}{totals}")
