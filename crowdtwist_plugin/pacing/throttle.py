"""One throttle per connection and event loop: the in-flight bound, the turn, the cap;
and which budget a hook call draws from (``budget_for``).

A request start passes, in order: the turn (``fair.Turn``: urgent requests first, hook
calls in turns); a semaphore bounding the requests in flight, which only the turn's
holder ever waits for; then, still holding the turn, the budget's wait (``rules``: this
process's ``LocalBudget``, or the fleet's ``RedisBudget``); and last asyncio-throttle's
``Throttler``, a sliding-window log of at most ``burst`` starts in any
``CAP_SLACK x burst / rate`` seconds.

Why the log after the budget: GCRA lets an idle budget start ``burst`` requests at once
and then go on at the full rate, up to ``2 x burst - 1`` starts in such a window; the log
caps that overlap, and on schedule it admits at once and never polls.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncio_throttle.throttler import Throttler

from crowdtwist_plugin.options import ClientOptions, Clock, Sleep
from crowdtwist_plugin.pacing.fair import Flow, Priority, Turn
from crowdtwist_plugin.pacing.redis_budget import RedisBudget
from crowdtwist_plugin.pacing.rules import Budget, Limits, LocalBudget
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
    """Admits request starts; see the module docstring."""

    def __init__(
        self,
        target: float,
        *,
        utilization: float = 0.75,
        max_in_flight: int | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._sleep = sleep
        # This process's budget; a connection with rate_limit_redis_url draws from a
        # shared one instead (see ``budget_for``).
        self.local = LocalBudget(
            Limits(target, utilization), clock or asyncio.get_running_loop().time
        )
        self.cap = Throttler(rate_limit=1, period=1.0, retry_interval=CAP_POLL_SECONDS)
        self.max_in_flight = max_in_flight or default_in_flight(target)
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._turn = Turn()

    async def acquire(
        self, budget: Budget, priority: Priority = Priority.BULK, flow: Flow | None = None
    ) -> float:
        """Wait for the turn, a free in-flight slot and a start in ``budget``; ``release``
        the slot once the request is done. ``flow`` is the hook call the request belongs
        to: calls take turns. Returns the start as the budget booked it (its clock)."""
        round_ = await self._turn.take(priority, flow)
        try:
            await self._slots.acquire()
            self._turn.started(priority, round_)
            try:
                booked = await budget.reserve()
                if booked.wait > 0:
                    await self._sleep(booked.wait)
                self.cap.rate_limit = burst = budget.limits.burst
                self.cap.period = CAP_SLACK * burst / budget.rate
                async with self.cap:
                    pass
            except BaseException:
                self._slots.release()
                raise
        finally:
            self._turn.release()
        return booked.start

    def release(self) -> None:
        self._slots.release()


class Throttles:
    """The throttle shared by every call with the same connection in one event loop.

    Throttles are created inside the running loop (their locks belong to it) and keyed by
    the connection's fingerprint and rate, never by the key itself.
    """

    def __init__(self, options: ClientOptions) -> None:
        self._options = options
        self._per_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, float], Throttle]
        ] = weakref.WeakKeyDictionary()

    def for_settings(self, settings: ConnectionSettings) -> Throttle:
        per_loop = self._per_loop.setdefault(asyncio.get_running_loop(), {})
        key = (settings.fingerprint, settings.requests_per_second)
        throttle = per_loop.get(key)
        if throttle is None:
            throttle = per_loop[key] = Throttle(
                settings.requests_per_second,
                utilization=settings.target_utilization,
                max_in_flight=self._options.max_in_flight,
                clock=self._options.clock,
                sleep=self._options.sleep,
            )
        return throttle


@asynccontextmanager
async def budget_for(
    settings: ConnectionSettings, throttle: Throttle, options: ClientOptions
) -> AsyncIterator[Budget]:
    """One hook call's budget: the fleet's in Redis when the connection names one (closed
    when the call ends; the Redis connection underneath is shared by every call in the
    loop), else this process's, ``throttle.local``."""
    if settings.rate_limit_redis_url is None:
        yield throttle.local
        return
    shared = RedisBudget.connect(
        settings.rate_limit_redis_url,
        namespace=settings.fingerprint,
        rate=settings.requests_per_second,
        utilization=settings.target_utilization,
        connect_timeout=options.connect_timeout,
    )
    try:
        yield shared
    finally:
        await shared.aclose()


async def hold_back(budget: Budget, pause: float, started: float) -> None:
    """After a 429 to a request that started at ``started``: every request sharing
    ``budget`` waits ``pause`` seconds and the rate is cut (``Budget.penalise``)."""
    await budget.penalise(pause, started)
    log.info(
        "HTTP 429: every request sharing this budget pauses %.2fs; rate now %.3g/s",
        pause,
        budget.rate,
        extra={"pause": pause},
    )
