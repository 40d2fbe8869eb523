"""One request budget per connection and event loop, spread evenly, never bursting.

CrowdTwist limits each API key with a leaky bucket. ``asyncio_throttle`` is a sliding
window log: ``Throttler(rate_limit=N, period=P)`` lets N requests start at once. To keep
bursts far below any bucket's capacity the budget is cut into small windows (a few
requests each), and a semaphore bounds the requests in flight, which the window log
does not. A 429 pauses every request sharing the budget, not only the one that got it.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncio_throttle.throttler import Throttler

from crowdtwist_plugin.settings import ConnectionSettings

MAX_BURST = 4
ASSUMED_LATENCY = 0.5
MIN_IN_FLIGHT, MAX_IN_FLIGHT = 4, 64


class Throttle:
    """Admits request starts at ``rate`` per second with bursts of at most ``MAX_BURST``."""

    def __init__(self, rate: float, max_in_flight: int | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        burst = max(1, min(MAX_BURST, int(rate * 0.05)))
        period = burst / rate
        # The throttler re-checks its window every retry_interval; keep that small next
        # to the spacing between starts or the achieved rate falls below the target.
        retry_interval = min(0.01, max(0.001, period / burst / 8))
        self._throttler = Throttler(rate_limit=burst, period=period, retry_interval=retry_interval)
        if max_in_flight is None:
            max_in_flight = round(rate * ASSUMED_LATENCY)
        self.max_in_flight = max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, max_in_flight))
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every start for ``seconds`` (e.g. after a 429), extending any current pause."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a free in-flight slot and a start in the budget; hold the slot inside."""
        async with self._slots:
            loop = asyncio.get_running_loop()
            # Not an Event: a later 429 may extend the pause while we sleep.
            while (wait := self._paused_until - loop.time()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
            async with self._throttler:
                pass
            yield


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
        throttle = per_loop[fingerprint] = Throttle(settings.requests_per_second)
    return throttle
