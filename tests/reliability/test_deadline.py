"""The overall deadline per hook call (``ClientOptions.deadline``).

Whatever holds a call up (a server that does not answer, retries that go on, a throttle
that holds requests back), the hook raises a retryable error once its deadline has passed
(never before it; how long after depends on the machine's load), returns nothing partial,
and leaves no session or task behind.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
import pytest

from crowdtwist_plugin.errors import TransientError
from crowdtwist_plugin.pacing.rules import RetryPolicy
from crowdtwist_sandbox import Sandbox
from tests.helpers.host import Host, connection_for
from tests.helpers.leftovers import nothing_left_behind
from tests.helpers.outcomes import OUTCOMES, classify
from tests.helpers.people import ALICE_IDS, CAROL_IDS


@pytest.fixture
def deadline(host: Host) -> float:
    host.configure(deadline=0.5)
    return 0.5


async def _timed(call: Any) -> tuple[BaseException | None, float]:
    """The call's error and how long it took on the event loop's clock (the deadline's)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await call
    except Exception as exc:
        return exc, loop.time() - started
    return None, loop.time() - started


def _assert_deadline_error(exc: BaseException | None, elapsed: float, hook: str) -> None:
    assert isinstance(exc, TransientError), repr(exc)
    assert exc.retryable is True
    assert str(exc) == f"{hook} did not finish within 0.5 s; nothing returned"
    assert exc.__context__ is None and exc.__cause__ is None
    # Never before the deadline (how long after it depends on the machine's load).
    assert elapsed >= 0.45, elapsed


async def test_access_with_a_5s_latency_fails_at_the_deadline(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    deadline: float,
    sessions: list[aiohttp.ClientSession],
) -> None:
    sandbox.add_fault("latency", endpoint="receipts", seconds=5.0, times=None)
    async with nothing_left_behind(sessions):
        exc, elapsed = await _timed(host.access(connection, ALICE_IDS))
    OUTCOMES["overall deadline (5 s latency)", classify(exc)] += 1
    _assert_deadline_error(exc, elapsed, "handle_access")


@pytest.mark.parametrize(
    ("hook", "endpoint"),
    [("submit_deletion", "delete_user"), ("check_deletion", "deletion_status")],
)
async def test_deletion_hooks_honour_the_deadline(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    deadline: float,
    sessions: list[aiohttp.ClientSession],
    hook: str,
    endpoint: str,
) -> None:
    ticket = await host.submit(connection, CAROL_IDS) if hook == "check_deletion" else None
    sessions.clear()
    sandbox.add_fault("latency", endpoint=endpoint, seconds=0.9, times=None)
    given = {"ticket": ticket} if ticket else {"identifiers": CAROL_IDS}
    async with nothing_left_behind(sessions):
        exc, elapsed = await _timed(host.call(hook, connection=connection, **given))
    OUTCOMES["overall deadline (latency)", classify(exc)] += 1
    _assert_deadline_error(exc, elapsed, hook)


async def test_deadline_cuts_real_retry_waits_short(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    deadline: float,
    sessions: list[aiohttp.ClientSession],
) -> None:
    sandbox.add_fault("status", endpoint="purchases", status=503, times=None)
    host.configure(retry=RetryPolicy(base=0.2, rng=random.Random(3)))
    async with nothing_left_behind(sessions):
        exc, elapsed = await _timed(host.access(connection, ALICE_IDS))
    OUTCOMES["overall deadline (retrying 503)", classify(exc)] += 1
    _assert_deadline_error(exc, elapsed, "handle_access")


async def test_deadline_cuts_a_throttle_wait_short(
    host: Host, sandbox: Sandbox, deadline: float, sessions: list[aiohttp.ClientSession]
) -> None:
    host.configure(sleep=asyncio.sleep)
    slow = connection_for(sandbox, rate_limit_per_minute=60, target_utilization=1.0)
    async with nothing_left_behind(sessions):
        exc, elapsed = await _timed(host.access(slow, ALICE_IDS))
    OUTCOMES["overall deadline (throttled)", classify(exc)] += 1
    _assert_deadline_error(exc, elapsed, "handle_access")


async def test_a_call_inside_its_deadline_is_unaffected(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    expected = await host.access(connection, ALICE_IDS)
    sandbox.add_fault("latency", endpoint="receipts", seconds=0.1, times=None)
    host.configure(deadline=20.0)
    assert await host.access(connection, ALICE_IDS) == expected
