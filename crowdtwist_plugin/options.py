"""``ClientOptions``: everything about *how* the plugin talks to CrowdTwist, in one value.

The connection mapping says *where* and *with which key*; these options say how long to
wait, how often to retry, how many requests may be in flight and which clock and sleep
the throttle uses. A host never needs to set them; tests and the benchmark pass their own
through ``CrowdTwistPlugin(options)``. Nothing here imports aiohttp, so the entry point
stays cheap to load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

import attrs

from crowdtwist_plugin.pacing import RetryPolicy

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def utc_today() -> date:
    return datetime.now(UTC).date()


@attrs.frozen
class ClientOptions:
    """How requests are timed, retried, throttled and bounded.

    ``clock`` and ``sleep`` drive the throttle (its schedule and the pauses after a 429);
    ``clock=None`` means the running event loop's clock. Retry waits are backoff's own.
    """

    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    # Seconds one hook call may take in all (access and deletion; credential checks have
    # their own, shorter bound since they must report within about a minute).
    deadline: float = 900.0
    credentials_deadline: float = 60.0
    clock: Clock | None = attrs.field(default=None, eq=False)
    sleep: Sleep = attrs.field(default=asyncio.sleep, eq=False)
    # None: derived from the rate (about half a second's worth of requests).
    max_in_flight: int | None = None
    today: Callable[[], date] = attrs.field(default=utc_today, eq=False)
    # Seconds since the epoch: HMAC timestamps (X-CT-Timestamp) and clock-skew diagnoses.
    wall_clock: Clock = attrs.field(default=time.time, eq=False)
    # Decompressed bytes read from one response at most: CrowdTwist's largest pages are a
    # few hundred kilobytes, so a body past this is refused, not buffered.
    max_body_bytes: int = 16 * 1024 * 1024
