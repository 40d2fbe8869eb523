"""Urgent requests (whose answers decide what to ask next) start before queued bulk ones."""

from __future__ import annotations

import asyncio

import pytest

from crowdtwist_plugin.priority import Flow, Priority, PrioritySemaphore
from crowdtwist_plugin.throttle import Throttle
from tests.helpers.waiting import wait_until

URGENT, BULK = Priority.URGENT, Priority.BULK


async def admitted_order(
    gate: PrioritySemaphore, arrivals: list[tuple[str, Priority]]
) -> list[str]:
    order: list[str] = []

    async def one(name: str, priority: Priority) -> None:
        await gate.acquire(priority)
        order.append(name)
        await asyncio.sleep(0)
        gate.release()

    await gate.acquire()  # held while everyone queues
    tasks = []
    for name, priority in arrivals:
        tasks.append(asyncio.create_task(one(name, priority)))
        await asyncio.sleep(0)  # queued in this order
    gate.release()
    await asyncio.gather(*tasks)
    return order


async def test_urgent_waiters_go_first_then_arrival_order() -> None:
    arrivals = [("b1", BULK), ("b2", BULK), ("u1", URGENT), ("b3", BULK), ("u2", URGENT)]
    assert await admitted_order(PrioritySemaphore(1), arrivals) == ["u1", "u2", "b1", "b2", "b3"]


async def test_a_waiter_cancelled_in_the_queue_is_skipped_and_loses_no_place() -> None:
    gate = PrioritySemaphore(1)
    await gate.acquire()
    cancelled = asyncio.create_task(gate.acquire(URGENT))
    waiting = asyncio.create_task(gate.acquire(BULK))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    gate.release()
    await asyncio.wait_for(waiting, 20)  # a hang guard, never the assertion
    gate.release()
    await gate.acquire()  # the place was given back: the gate is free again


async def test_a_waiter_cancelled_as_it_is_admitted_passes_its_place_on() -> None:
    gate = PrioritySemaphore(1)
    await gate.acquire()
    first = asyncio.create_task(gate.acquire())
    second = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gate.release()  # admits first ...
    first.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 20)
    assert gate.waiting() == 0


def test_a_gate_needs_a_place() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PrioritySemaphore(0)


async def test_an_urgent_request_starts_before_queued_bulk_ones() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    throttle = Throttle(1000.0, max_in_flight=1, clock=lambda: now[0], sleep=sleep)
    starts: list[str] = []
    in_flight = asyncio.Event()

    async def request(name: str, priority: Priority) -> None:
        async with throttle.slot(priority=priority):
            starts.append(name)
            await in_flight.wait()

    tasks = [asyncio.create_task(request(f"bulk{i}", BULK)) for i in range(5)]
    await wait_until(lambda: starts == ["bulk0"], "the first start")
    tasks.append(asyncio.create_task(request("first page", URGENT)))
    await asyncio.sleep(0)
    in_flight.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 20)
    # bulk1 holds the turn, waiting for the one in-flight slot; the urgent one is next.
    assert starts == ["bulk0", "bulk1", "first page", "bulk2", "bulk3", "bulk4"]


async def test_concurrent_hook_calls_take_turns() -> None:
    """A call that queued many pages does not hold back one that queues a few after it."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    throttle = Throttle(1000.0, max_in_flight=1, clock=lambda: now[0], sleep=sleep)
    starts: list[str] = []
    in_flight = asyncio.Event()
    big, small = Flow(), Flow()

    async def request(name: str, flow: Flow) -> None:
        async with throttle.slot(flow=flow):
            starts.append(name)
            await in_flight.wait()

    tasks = [asyncio.create_task(request(f"big{i}", big)) for i in range(6)]
    await wait_until(lambda: starts == ["big0"], "the first start")
    tasks += [asyncio.create_task(request(f"small{i}", small)) for i in range(3)]
    await asyncio.sleep(0)
    in_flight.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 20)
    # big1 holds the turn, waiting for the one in-flight slot. small joined in the round
    # being served (1) while big's queued pages have rounds 3 to 6: small is not held
    # back by them, and from round 3 on the two alternate (ties in arrival order).
    assert starts == [
        *("big0", "big1", "small0", "small1", "big2", "small2", "big3", "big4", "big5")
    ]
