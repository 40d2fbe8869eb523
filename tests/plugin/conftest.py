"""Fixtures for the plugin tests: the sandbox, cassettes and the connection they replay on.

Cassette tests (``test_cassette_*.py``) replay recordings from ``<repo>/cassettes/<module>``
made against the sandbox; record them with
``.venv/bin/pytest tests/plugin -k cassette --record-mode=rewrite``. Live tests
(``test_live_*.py``) run the sandbox on loopback in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import datetime
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from crowdtwist_plugin.options import ClientOptions
from crowdtwist_sandbox import SandboxConfig, run_sandbox
from tests.helpers.cassettes import (
    CASSETTES,
    FILTERS,
    REAL_API_SUBDOMAIN,
    REAL_KEY,
    REAL_POS_SUBDOMAIN,
    scrub_response,
)
from tests.helpers.host import FAST_RATE, connection_for, test_options
from tests.helpers.secrets import DEFAULT_KEY

FROZEN_TODAY = datetime.date(2026, 11, 27)
REPLAY_API = "http://127.0.0.1:9"
REPLAY_POS = "http://127.0.0.1:10"
DELETION_STEP = 0.25  # seconds per deletion status step in live and recording sandboxes


# --- live sandbox ---------------------------------------------------------------------------


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """Override with ``@pytest.mark.parametrize("sandbox_config", [SandboxConfig(...)])``."""
    return SandboxConfig(deletion_step_seconds=DELETION_STEP)


# --- cassettes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    base = Path(os.environ.get("CROWDTWIST_CASSETTE_DIR") or CASSETTES)
    return str(base / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    return {**FILTERS, "before_record_response": scrub_response, "allow_playback_repeats": False}


@pytest.fixture
def recording(record_mode: str) -> bool:
    return record_mode != "none"


@pytest.fixture
def client_options(request: pytest.FixtureRequest) -> ClientOptions:
    """Cassette tests pin today: redemption-history date ranges depend on it, and pinned,
    the recordings replay on any day."""
    if request.module.__name__.rsplit(".", 1)[-1].startswith("test_cassette"):
        return test_options(today=lambda: FROZEN_TODAY)
    return test_options()


@pytest.fixture
async def ct_connection(
    recording: bool, sandbox_config: SandboxConfig
) -> AsyncIterator[dict[str, Any]]:
    """A connection to a fresh sandbox while recording, to a dummy origin on replay.

    With ``CROWDTWIST_RECORD_API_SUBDOMAIN``/``..._POS_SUBDOMAIN`` and ``CROWDTWIST_API_KEY``
    set, recording talks to that real CrowdTwist program instead.
    """
    if recording and REAL_API_SUBDOMAIN and REAL_POS_SUBDOMAIN and REAL_KEY:
        yield {
            "api_key": REAL_KEY,
            "api_subdomain": REAL_API_SUBDOMAIN,
            "pos_subdomain": REAL_POS_SUBDOMAIN,
            "rate_limit_per_minute": float(os.environ.get("CROWDTWIST_RATE_LIMIT", "10000")),
        }
    elif recording:
        async with run_sandbox(attrs.evolve(sandbox_config, today=FROZEN_TODAY)) as running:
            yield connection_for(running)
    else:
        yield {
            "api_key": DEFAULT_KEY,
            "api_base_url": REPLAY_API,
            "pos_base_url": REPLAY_POS,
            "rate_limit_per_minute": FAST_RATE,
        }


@pytest.fixture
def poll_pause(recording: bool) -> Callable[[float], Awaitable[None]]:
    """A real short wait between deletion polls while recording; none on replay."""

    async def pause(seconds: float) -> None:
        if recording:
            await asyncio.sleep(seconds)

    return pause
