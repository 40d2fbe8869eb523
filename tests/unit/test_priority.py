"""Urgent requests (whose answers decide what to ask next) start before queued bulk ones."""

from __future__ import annotations

import asyncio

import pytest

from crowdtwist_plugin.pacing.fair import Flow, Priority, PrioritySemaphore
from crowdtwist_plugin.pacing.throttle import Throttle
from tests.helpers.pacing import slot
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


Queued = list[tuple[str, Priority, Flow | None]]


async def start_order(early: Queued, late: Queued) -> list[str]:
    """The order requests start in through a throttle with one in-flight slot (virtual
    clock): ``early`` queue first, ``late`` once the first of them is in flight."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    throttle = Throttle(1000.0, max_in_flight=1, clock=lambda: now[0], sleep=sleep)
    starts: list[str] = []
    in_flight = asyncio.Event()

    async def request(name: str, priority: Priority, flow: Flow | None) -> None:
        async with slot(throttle, priority=priority, flow=flow):
            starts.append(name)
            await in_flight.wait()

    tasks = [asyncio.create_task(request(*r)) for r in early]
    await wait_until(lambda: starts == [early[0][0]], "the first start")
    tasks += [asyncio.create_task(request(*r)) for r in late]
    await asyncio.sleep(0)
    in_flight.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 20)
    return starts


async def test_an_urgent_request_starts_before_queued_bulk_ones() -> None:
    bulk: Queued = [(f"bulk{i}", BULK, None) for i in range(5)]
    starts = await start_order(bulk, [("first page", URGENT, None)])
    # bulk1 holds the turn, waiting for the one in-flight slot; the urgent one is next.
    assert starts == ["bulk0", "bulk1", "first page", "bulk2", "bulk3", "bulk4"]


async def test_concurrent_hook_calls_take_turns() -> None:
    """A call that queued many pages does not hold back one that queues a few after it."""
    big, small = Flow(), Flow()
    starts = await start_order(
        [(f"big{i}", BULK, big) for i in range(6)], [(f"small{i}", BULK, small) for i in range(3)]
    )
    # big1 holds the turn, waiting for the one in-flight slot. small joined in the round
    # being served (1) while big's queued pages have rounds 3 to 6: small is not held
    # back by them, and from round 3 on the two alternate (ties in arrival order).
    assert starts == [
        *("big0", "big1", "small0", "small1", "big2", "small2", "big3", "big4", "big5")
    ]


async def test_an_urgent_request_of_a_big_call_does_not_hold_back_others() -> None:
    """An urgent request jumps its call's queue; it must not move the round being served
    past everything its call has queued."""
    big, small = Flow(), Flow()
    early: Queued = [(f"big{i}", BULK, big) for i in range(6)]
    starts = await start_order(
        early, [("big urgent", URGENT, big), *((f"small{i}", BULK, small) for i in range(2))]
    )
    expected = ["big0", "big1", "big urgent", "small0", "small1", "big2", "big3", "big4", "big5"]
    assert starts == expected
