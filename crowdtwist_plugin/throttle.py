"""One request budget per connection and event loop: the async slot around ``pacing``.

A request start passes, in order: a turn (one holder at a time, admitting urgent
requests first, concurrent hook calls in turns and otherwise in arrival order:
``priority``); a semaphore bounding the requests in flight, which only the turn's holder
ever waits for; then, still holding the turn, the pause after a 429; the even
``Schedule`` at the ``AdaptiveRate``; and finally an ``asyncio_throttle.Throttler``, a
sliding-window log that caps the starts in any window of ``CAP_SLACK x burst / rate``
seconds at ``burst``.

Why both a schedule and asyncio-throttle: the window log alone lets ``burst`` requests
start at once and has its waiters poll (measured in the README: about 1.6 s of CPU per
1000 requests), and it is not FIFO. The schedule waits exactly and in order, but after an
idle spell its credit and its pace overlap: ``burst`` starts at once, then one every
1/rate, up to ``2 x burst - 1`` starts in a window where the cap admits ``burst``. There
the cap binds; on schedule it admits at once and never polls.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncio_throttle.throttler import Throttler

from crowdtwist_plugin.budget import Budget
from crowdtwist_plugin.budget.local import LocalBudget
from crowdtwist_plugin.options import ClientOptions, Clock, Sleep
from crowdtwist_plugin.priority import Flow, Priority, PrioritySemaphore
from crowdtwist_plugin.settings import ConnectionSettings

log = logging.getLogger("crowdtwist_plugin")
# The cap's window is this fraction of the schedule's, so that starts on schedule find
# the window already clear (a window exactly 1/rate per start would make every start on
# schedule wait for one poll).
CAP_SLACK = 0.95
CAP_POLL_SECONDS = 0.001
ASSUMED_LATENCY = 0.5  # seconds: the in-flight bound is about this much of the rate
MIN_IN_FLIGHT, MAX_IN_FLIGHT = 4, 64


def default_in_flight(rate: float) -> int:
    return max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, round(rate * ASSUMED_LATENCY)))


class Throttle:
    """Admits request starts at up to ``target`` per second; see the module docstring."""

    def __init__(
        self,
        target: float,
        *,
        utilization: float = 0.75,
        max_in_flight: int | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock or asyncio.get_running_loop().time
        self._sleep = sleep
        # This process's budget; a connection with rate_limit_redis_url passes a shared one
        # to slot() instead, and this one then only keeps this process's 429 pause.
        self.local = LocalBudget(
            target, utilization=utilization, clock=self._clock, saturated=self._saturated
        )
        self.rules = self.local.rules
        self.cap = Throttler(rate_limit=1, period=1.0, retry_interval=CAP_POLL_SECONDS)
        self.max_in_flight = max_in_flight or default_in_flight(target)
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._turn = PrioritySemaphore(1)
        # Requests waiting for their turn; while any do and the turn's holder waits for
        # the budget, not for an in-flight slot, our own budget is the limit.
        self._queued = 0
        self._waiting_for_slot = False
        self._round = 0  # the fair-queuing round of the latest start

    @property
    def rate(self) -> float:
        return self.rules.rate

    def _saturated(self) -> bool:
        return self._queued > 0 and not self._waiting_for_slot

    def accepted(self) -> None:
        """A response that was not a 429 arrived."""
        self.rules.accepted(self._clock())

    async def throttled_by_service(self, pause: float, shared: Budget | None = None) -> None:
        """A 429 arrived: every start sharing this budget waits ``pause`` seconds.

        With a ``shared`` budget every worker sharing it pauses and slows down too.
        """
        await self.local.penalise(pause)
        if shared is not None:
            await shared.penalise(pause)
        log.info(
            "HTTP 429: every request sharing this budget pauses %.2fs; rate now %.3g/s",
            pause,
            self.rules.rate,
            extra={"pause": pause},
        )

    @asynccontextmanager
    async def slot(
        self,
        shared: Budget | None = None,
        priority: Priority = Priority.BULK,
        flow: Flow | None = None,
    ) -> AsyncIterator[None]:
        """``acquire`` and, on leaving, ``release``."""
        await self.acquire(shared, priority, flow)
        try:
            yield
        finally:
            self.release()

    async def acquire(
        self,
        shared: Budget | None = None,
        priority: Priority = Priority.BULK,
        flow: Flow | None = None,
    ) -> None:
        """Wait for a free in-flight slot and a start in the budget; ``release`` the slot
        once the request is done.

        ``flow`` is the hook call the request belongs to: calls take turns. With a
        ``shared`` budget (Redis) the start comes from it instead of this process's
        schedule: the in-flight bound, the turn and this process's pause still apply.
        The client calls this rather than ``slot``: every frame between the request and
        its wait is resumed at each wake-up, and requests are the hot path.
        """
        round_ = self._round
        if flow is not None and priority is not Priority.URGENT:
            # Urgent requests go first anyway: they take the current round and neither
            # advance their call's rounds nor, once started, the round being served.
            round_ = flow.last_round = max(flow.last_round + 1, self._round)
        self._queued += 1
        try:
            await self._turn.acquire(priority, round_)
        finally:
            self._queued -= 1
        try:
            # Only the turn's holder ever waits for an in-flight slot, so one queue (the
            # turn's) orders every request and a request is woken once before its start.
            self._waiting_for_slot = True
            try:
                await self._slots.acquire()
            finally:
                self._waiting_for_slot = False
            if priority is not Priority.URGENT:
                self._round = max(self._round, round_)
            try:
                if shared is None:
                    wait = await self.local.reserve()
                else:
                    # A 429 this process saw pauses it even before the shared state says so.
                    wait = self.rules.pause_left(self._clock()) + await shared.reserve()
                if wait > 0:
                    await self._sleep(wait)
                if shared is None:
                    await self._within_cap()
            except BaseException:
                self._slots.release()
                raise
        finally:
            self._turn.release()

    def release(self) -> None:
        self._slots.release()

    async def _within_cap(self) -> None:
        rate, burst = self.rules.rate, self.rules.burst
        self.cap.rate_limit = burst
        self.cap.period = CAP_SLACK * burst / rate
        async with self.cap:
            pass


class Throttles:
    """The throttle shared by every call with the same connection in one event loop.

    Throttles are created inside the running loop (their locks belong to it) and keyed by
    a hash of the key, origins and rate, never by the key itself.
    """

    def __init__(self, options: ClientOptions) -> None:
        self._options = options
        self._per_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, Throttle]
        ] = weakref.WeakKeyDictionary()

    def for_settings(self, settings: ConnectionSettings) -> Throttle:
        per_loop = self._per_loop.setdefault(asyncio.get_running_loop(), {})
        fingerprint = hashlib.sha256(
            "\n".join(
                (
                    settings.api_key.reveal(),
                    settings.api_origin,
                    settings.pos_origin,
                    repr(settings.requests_per_second),
                )
            ).encode()
        ).hexdigest()
        throttle = per_loop.get(fingerprint)
        if throttle is None:
            throttle = per_loop[fingerprint] = Throttle(
                settings.requests_per_second,
                utilization=settings.target_utilization,
                max_in_flight=self._options.max_in_flight,
                clock=self._options.clock,
                sleep=self._options.sleep,
            )
        return throttle
