"""Cancellation: a host that gives up on a hook call mid-flight leaves nothing behind.

No pending task of the plugin (or of its aiohttp client), no unclosed ClientSession or
connector, no coroutine that was never awaited, wherever the call was when it was cancelled:
before it started, during a request, during a retry wait, while the throttle held it back,
during a 429 pause. ResourceWarning is an error for the whole suite (pyproject.toml); here
"coroutine ... was never awaited" is one too, and warnings are also collected explicitly
around a ``gc.collect()`` so that finalizer warnings cannot slip through.
"""

from __future__ import annotations

import asyncio
import gc
import random
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from crowdtwist_plugin.pacing.rules import RetryPolicy
from crowdtwist_sandbox import Sandbox
from host_stub.plugins import call_hook
from tests.helpers.host import Host, RetryLog, connection_for
from tests.helpers.leftovers import nothing_left_behind
from tests.helpers.people import ALICE_IDS, CAROL_IDS
from tests.helpers.waiting import HANG_GUARD, wait_until

pytestmark = [
    pytest.mark.filterwarnings("error:coroutine .* was never awaited:RuntimeWarning"),
    pytest.mark.filterwarnings("error::ResourceWarning"),
]


def _hook_call(host: Host, hook: str, connection: dict[str, Any], given: Any) -> Awaitable[Any]:
    if hook == "check_deletion":
        return host.call(hook, connection=connection, ticket=given)
    return host.call(hook, connection=connection, identifiers=given)


WHERE = [
    ("handle_access", "profile"),
    ("handle_access", "member_search"),
    ("handle_access", "receipts"),
    ("handle_access", "purchases"),
    ("submit_deletion", "deletion_status"),
    ("submit_deletion", "delete_user"),
    ("check_deletion", "deletion_status"),
]


@pytest.mark.parametrize("give_up_after", [0.0, 0.001, 0.03])
@pytest.mark.parametrize(("hook", "endpoint"), WHERE)
async def test_wait_for_cancels_cleanly(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    sessions: list[aiohttp.ClientSession],
    hook: str,
    give_up_after: float,
    endpoint: str,
) -> None:
    """``asyncio.wait_for`` gives up while a request is in flight (or before the call ran)."""
    given: Any = ALICE_IDS if hook == "handle_access" else CAROL_IDS
    if hook == "check_deletion":
        given = await host.submit(connection, given)
        sessions.clear()
    sandbox.add_fault("latency", endpoint=endpoint, seconds=0.15, times=None)
    async with nothing_left_behind(sessions, opened=give_up_after > 0.0):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_hook_call(host, hook, connection, given), timeout=give_up_after)


@pytest.mark.parametrize("hook", ["handle_access", "submit_deletion", "check_deletion"])
async def test_cancelled_before_it_starts(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], hook: str
) -> None:
    """A host that cancels the task (or drops it) before its first step leaves no coroutine
    that was never awaited behind (the hook's coroutine creates its work only when run)."""
    given: Any = CAROL_IDS
    if hook == "check_deletion":
        given = await host.submit(connection, given)
    before = len(sandbox.log)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task = asyncio.ensure_future(_hook_call(host, hook, connection, given))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        closed = getattr(host.pm.hook, hook)(
            integration="crowdtwist",
            connection=connection,
            **({"ticket": given} if hook == "check_deletion" else {"identifiers": given}),
        )
        closed.close()  # a host that decides not to run it after all
        del task, closed
        gc.collect()
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []
    assert len(sandbox.log) == before


def block_retry_waits(host: Host) -> None:
    """A retry policy whose waits last an hour: a cancelled call is cut inside one."""
    host.configure(retry=RetryPolicy(base=3600.0, max_backoff=3600.0, rng=random.Random(1)))


async def _cancel_when(task: asyncio.Task[Any], ready: Callable[[], bool]) -> None:
    await wait_until(ready, "the call reaching the point to cancel at")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("endpoint", ["receipts", "purchases", "member_search"])
async def test_cancelled_during_a_retry_wait(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    sessions: list[aiohttp.ClientSession],
    retries: RetryLog,
    endpoint: str,
) -> None:
    sandbox.add_fault("status", endpoint=endpoint, status=503, times=None)
    block_retry_waits(host)
    async with nothing_left_behind(sessions):
        task = asyncio.ensure_future(host.access(connection, ALICE_IDS))
        await _cancel_when(task, lambda: bool(retries.delays))


async def test_cancelled_while_the_throttle_holds_requests_back(
    host: Host, sandbox: Sandbox, sessions: list[aiohttp.ClientSession]
) -> None:
    host.configure(sleep=asyncio.sleep)
    # One request a minute (the slowest rate allowed): the first starts at once, the
    # next is held back by a real sleep of a minute, and the cancellation lands in it.
    slow = connection_for(sandbox, rate_limit_per_minute=1, target_utilization=1.0)
    async with nothing_left_behind(sessions):
        task = asyncio.ensure_future(host.access(slow, ALICE_IDS))
        await _cancel_when(task, lambda: len(sandbox.log) >= 1)
    assert len(sandbox.log) == 1  # the rest were still waiting their turn


async def test_cancelled_during_a_429_pause(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    sessions: list[aiohttp.ClientSession],
    retries: RetryLog,
) -> None:
    host.configure(sleep=asyncio.sleep, retry=RetryPolicy(max_retry_after=60.0))
    sandbox.add_fault("rate_limit", endpoint="profile", retry_after="30", times=None)
    async with nothing_left_behind(sessions):
        task = asyncio.ensure_future(host.access(connection, ALICE_IDS))
        await _cancel_when(task, lambda: bool(retries.pauses))


async def test_cancelling_one_call_leaves_a_concurrent_call_intact(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """Two hook calls share the connection's throttle: cancelling one does not break the
    other (the throttle's lock and semaphore are released on cancellation)."""
    expected = await host.access(connection, ALICE_IDS)
    sandbox.add_fault("latency", endpoint="receipts", seconds=0.2, times=1)
    held = sandbox.state.faults.snapshot
    doomed = asyncio.ensure_future(host.access(connection, ALICE_IDS))
    survivor = asyncio.ensure_future(
        call_hook(
            host.pm,
            "handle_access",
            integration="crowdtwist",
            connection=connection,
            identifiers=ALICE_IDS,
        )
    )
    # Both calls are under way once the sandbox has taken the fault: a receipts request is
    # held there, and the calls share the throttle's lock and in-flight slots.
    await wait_until(lambda: held() == [], "a receipts request reaching the sandbox")
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    survived = await asyncio.wait_for(survivor, HANG_GUARD)
    assert survived.pop("stats")["requests"] > 0
    assert survived == expected


async def test_the_leftover_checks_do_catch_leftovers(
    sessions: list[aiohttp.ClientSession],
) -> None:
    """The checks above would notice a plugin task still pending or a session left open."""
    import crowdtwist_plugin.tasks

    leaked: list[asyncio.Future[None]] = []

    async def leak_a_task() -> None:
        async with nothing_left_behind(sessions, opened=False):
            leaked.append(
                asyncio.ensure_future(crowdtwist_plugin.tasks.gather_all([asyncio.sleep(10)]))
            )
            await asyncio.sleep(0)

    async def leave_a_session_open() -> None:
        async with nothing_left_behind(sessions):
            pass

    with pytest.raises(AssertionError, match="pending plugin tasks"):
        await leak_a_task()
    leaked[0].cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaked[0]
    session = aiohttp.ClientSession()
    try:
        with pytest.raises(AssertionError, match="left open"):
            await leave_a_session_open()
    finally:
        await session.close()
