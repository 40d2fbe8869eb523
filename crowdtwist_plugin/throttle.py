"""One request budget per connection and event loop: spread evenly, adapting to 429s.

CrowdTwist limits each API key with a leaky bucket. ``asyncio_throttle`` is a sliding
window log: ``Throttler(rate_limit=N, period=P)`` lets N requests start at once and has
every waiter poll every 10 ms (measured: ~1.6 s of CPU per 1000 requests at 75/s even
with one poller). Here the budget is cut into small windows (bursts of at most
``MAX_BURST`` starts, far below any bucket's capacity); one waiter at a time, behind a
FIFO lock (fair across concurrent hook calls), sleeps until its start time on an even
schedule (1/rate apart, up to ``MAX_BURST`` of idle credit, so late wake-ups do not
accumulate into a lower rate) and then passes the throttler, which therefore nearly
always admits at once and stays as the hard cap; a semaphore bounds the requests in
flight, which the window log does not.

On a 429 every request sharing the budget pauses, the rate is halved and a ceiling is
set from the rate the service actually accepted lately; the rate then recovers
additively up to that ceiling, and the ceiling itself creeps back to the target after
a quiet spell, so a limit that was lowered for good stops producing 429s.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from asyncio_throttle.throttler import Throttler

from crowdtwist_plugin.retry import Sleep
from crowdtwist_plugin.settings import ConnectionSettings

MAX_BURST = 4
ASSUMED_LATENCY = 0.5
MIN_IN_FLIGHT, MAX_IN_FLIGHT = 4, 64
DECREASE = 0.5
RECOVERY_PER_SECOND = 0.05  # of the target rate
ACCEPTED_WINDOW = 2.0  # seconds of accepted responses used to estimate the real limit
CUT_COOLDOWN = 1.0  # 429s from requests already in flight belong to the same episode
CEILING_QUIET = 30.0
GUARD_SLACK = 0.95  # seconds without a 429 before the ceiling creeps up again


class Throttle:
    """Admits request starts at up to ``target`` per second; see the module docstring."""

    def __init__(
        self, target: float, max_in_flight: int | None = None, *, utilization: float = 0.75
    ) -> None:
        if target <= 0:
            raise ValueError("target rate must be positive")
        self.target = target
        self.utilization = utilization
        self.ceiling = target
        self.min_rate = target / 64
        self._throttler = Throttler(rate_limit=1, period=1.0, retry_interval=0.001)
        self._set_rate(target)
        if max_in_flight is None:
            max_in_flight = round(target * ASSUMED_LATENCY)
            max_in_flight = max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, max_in_flight))
        self.max_in_flight = max_in_flight
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._turn = asyncio.Lock()
        self._loop = asyncio.get_running_loop()
        self._paused_until = 0.0
        self._last_cut = -CUT_COOLDOWN
        self._last_adjust = self._loop.time()
        self._accepted: collections.deque[float] = collections.deque()
        self._next_start = 0.0
        self._queued = 0  # requests waiting for their turn: is our own budget the limit?
        self.throttled = 0

    def _set_rate(self, rate: float) -> None:
        self.rate = max(self.min_rate, min(rate, self.ceiling, self.target))
        burst = max(1, min(MAX_BURST, int(self.rate * 0.05)))
        self._throttler.rate_limit = burst
        # The cap sits a little above the schedule so that it rarely has to poll.
        self._throttler.period = GUARD_SLACK * burst / self.rate

    def _recover(self, now: float) -> None:
        elapsed = now - self._last_adjust
        self._last_adjust = now
        if now - self._last_cut > CEILING_QUIET and self.ceiling < self.target:
            self.ceiling = min(self.target, self.ceiling + self.target * 0.01 * elapsed)
        if self.rate < self.ceiling:
            self._set_rate(self.rate + self.target * RECOVERY_PER_SECOND * elapsed)

    def accepted(self) -> None:
        """A response that was not a 429 arrived."""
        now = self._loop.time()
        self._accepted.append(now)
        while self._accepted and self._accepted[0] < now - ACCEPTED_WINDOW:
            self._accepted.popleft()

    def throttled_by_service(self, pause: float) -> None:
        """A 429 arrived: pause everyone, then slow down (once per episode)."""
        now = self._loop.time()
        self.throttled += 1
        self._paused_until = max(self._paused_until, now + pause)
        if now - self._last_cut < CUT_COOLDOWN:
            return
        self._last_cut = now
        window = min(ACCEPTED_WINDOW, max(now - self._accepted[0], 0.5)) if self._accepted else 0
        accepted_rate = (
            sum(1 for t in self._accepted if t >= now - window) / window if window else 0.0
        )
        # What was accepted estimates the service's limit only while requests queue for
        # our own budget (we were sending all we may); after light traffic a 429 says
        # someone else shares the key, and the halving below is answer enough.
        if self._queued:
            self.ceiling = max(self.min_rate, min(self.target, accepted_rate * self.utilization))
        self._last_adjust = now
        self._set_rate(self.rate * DECREASE)

    @asynccontextmanager
    async def slot(self, sleep: Sleep = asyncio.sleep) -> AsyncIterator[None]:
        """Wait for a free in-flight slot and a start in the budget; hold the slot inside.

        ``sleep`` waits out a pause after a 429 (the retry policy's, so tests need not).
        """
        async with self._slots:
            self._queued += 1
            try:
                await self._turn.acquire()
            finally:
                self._queued -= 1
            try:
                pause = self._paused_until - self._loop.time()
                if pause > 0:
                    await sleep(pause)
                self._recover(self._loop.time())
                await self._wait_for_turn()
                async with self._throttler:
                    pass
            finally:
                self._turn.release()
            yield

    async def _wait_for_turn(self) -> None:
        spacing = 1.0 / self.rate
        now = self._loop.time()
        start = max(self._next_start, now - (self._throttler.rate_limit - 1) * spacing)
        self._next_start = start + spacing
        if start > now:
            await asyncio.sleep(start - now)


# Benchmarks set 1 here to measure a sequential client against the concurrent one.
IN_FLIGHT_LIMIT: ContextVar[int | None] = ContextVar("crowdtwist_in_flight_limit", default=None)

_throttles: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Throttle]] = (
    weakref.WeakKeyDictionary()
)


def throttle_for(settings: ConnectionSettings) -> Throttle:
    """The throttle shared by every call with this connection in the running loop."""
    loop = asyncio.get_running_loop()
    per_loop = _throttles.setdefault(loop, {})
    fingerprint = hashlib.sha256(
        "\n".join(
            (
                settings.api_key,
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
            IN_FLIGHT_LIMIT.get(),
            utilization=settings.target_utilization,
        )
    return throttle
