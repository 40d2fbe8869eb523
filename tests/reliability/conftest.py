"""Fixtures for the reliability suite: a live sandbox per test, a hang guard as the overall
deadline, every connection the process opens, every aiohttp session the plugin opens,
short socket timeouts and the closing-note outcome table.

Set ``RELIABILITY_TABLE=1`` to print the fault-matrix outcome counts after the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crowdtwist_plugin.options import ClientOptions
from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from tests.helpers.cli import Cli
from tests.helpers.host import SHORT_READ, Host, test_options
from tests.helpers.network import NetworkLog, network_log
from tests.helpers.outcomes import OUTCOMES
from tests.helpers.waiting import HANG_GUARD


@pytest.fixture
def client_options() -> ClientOptions:
    """A hang becomes a (retryable) failure after the hang guard instead of blocking the
    suite; tests that care about time set tighter bounds themselves."""
    return test_options(deadline=HANG_GUARD)


@pytest.fixture
def cli_sandbox() -> Iterator[tuple[SandboxThread, Sandbox]]:
    """A sandbox on its own thread, for host-stub commands that run their own event loop."""
    thread = SandboxThread(SandboxConfig(deletion_step_seconds=0.1))
    with thread as sandbox:
        yield thread, sandbox


@pytest.fixture
def cli(tmp_path: Path, cli_sandbox: tuple[SandboxThread, Sandbox], host: Host) -> Cli:
    """``host-stub`` in miniature against ``cli_sandbox``, with the test host's plugins."""
    _, sandbox = cli_sandbox
    running = Cli.for_crowdtwist(
        tmp_path, sandbox.api_base_url, sandbox.pos_base_url, sandbox.api_key, host.pm
    )
    running.write_config()
    return running


@pytest.fixture
def short_timeout(host: Host) -> float:
    # Few requests in flight: the 0.1 s read timeout then times the sandbox's answer, not
    # a queue of a subject's dozens of concurrent reads on a busy machine.
    host.configure(connect_timeout=2.0, read_timeout=SHORT_READ, max_in_flight=4)
    return SHORT_READ


@pytest.fixture
def network() -> Iterator[NetworkLog]:
    """Every connection opened and every name looked up in the process during the test."""
    with network_log() as log:
        yield log


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[aiohttp.ClientSession]:
    """Every aiohttp ClientSession created during the test."""
    created: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession.__init__

    # aiohttp has no hook for a session's creation and the plugin takes no session: wrap it.
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
