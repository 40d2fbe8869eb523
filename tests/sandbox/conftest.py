"""Fixtures: a sandbox per test, served over real loopback HTTP, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from crowdtwist_sandbox import Sandbox, SandboxConfig, run_sandbox

from .sandbox_client import FAST, Client


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """The sandbox; parametrize indirectly with a ``SandboxConfig`` to change it."""
    config: SandboxConfig = getattr(request, "param", FAST)
    async with run_sandbox(config) as running:
        yield running


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(session, sandbox)
