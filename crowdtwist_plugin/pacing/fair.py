"""The turn: one request at a time goes in, by priority, then by fair share, then in
arrival order.

The throttle admits request starts one at a time, so a request queued behind a few
hundred known pages waits seconds. Some requests decide what to ask next: the lookups,
a collection's first page (it tells how many pages follow) and each legacy-history page
(the next one is asked only once it is read). Letting those go first keeps a chain of
dependent requests from waiting for the whole queue at every step, so the work it
unlocks joins the queue early and the rate limit, not latency, sets the pace.

Among requests of one priority, concurrent hook calls take turns (start-time fair
queuing): each call's ``Flow`` numbers its requests from the round being served when it
queues, so a call that queues 300 pages does not hold back one that queues 3 after it.
``Turn`` keeps that bookkeeping; ``PrioritySemaphore`` is its queue.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from enum import IntEnum

import attrs


class Priority(IntEnum):
    URGENT = 0  # its answer decides which requests come next
    BULK = 1  # already known to be needed


@attrs.define
class Flow:
    """The requests of one hook call: the last round one of them was given."""

    last_round: int = 0


class PrioritySemaphore:
    """``value`` holders at once; waiters are admitted by (priority, round, arrival)."""

    def __init__(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"value must be at least 1, not {value}")
        self._free = value
        self._waiters: list[tuple[int, int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, priority: Priority = Priority.BULK, round_: int = 0) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, round_, next(self._arrivals), admitted))
        try:
            await admitted
        except asyncio.CancelledError:
            if admitted.done() and not admitted.cancelled():
                # Admitted just as it was cancelled: the place goes to the next waiter.
                self.release()
            raise

    def release(self) -> None:
        while self._waiters:
            *_, admitted = heapq.heappop(self._waiters)
            if not admitted.done():  # skip waiters cancelled while queued
                admitted.set_result(None)
                return
        self._free += 1

    def waiting(self) -> int:
        """Waiters not yet admitted (cancelled ones may still be counted until skipped)."""
        return len(self._waiters)


class Turn:
    """One holder at a time; a holder's round becomes the round served once it starts."""

    def __init__(self) -> None:
        self._queue = PrioritySemaphore(1)
        self._round = 0  # the fair-queuing round of the latest start

    async def take(self, priority: Priority, flow: Flow | None) -> int:
        """Wait for the turn; returns the round to pass to ``started``."""
        round_ = self._round
        if flow is not None and priority is not Priority.URGENT:
            # Urgent requests go first anyway: they take the current round and neither
            # advance their call's rounds nor, once started, the round being served.
            round_ = flow.last_round = max(flow.last_round + 1, self._round)
        await self._queue.acquire(priority, round_)
        return round_

    def started(self, priority: Priority, round_: int) -> None:
        if priority is not Priority.URGENT:
            self._round = max(self._round, round_)

    def release(self) -> None:
        self._queue.release()
