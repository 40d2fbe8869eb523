"""Waiting for something observable to happen, never for a length of time.

``HANG_GUARD`` only turns a hang into a failure; no test asserts anything with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

HANG_GUARD = 20.0  # seconds
POLL_SECONDS = 0.002  # how often a condition is looked at: a pace, not a bound


async def wait_until(ready: Callable[[], bool], what: str) -> None:
    """Return as soon as ``ready()`` is true; fail only if it never becomes true."""
    try:
        async with asyncio.timeout(HANG_GUARD):
            # The sandbox's state and the plugin's log have no events to wait on: poll.
            while not ready():  # noqa: ASYNC110
                await asyncio.sleep(POLL_SECONDS)
    except TimeoutError:
        raise AssertionError(f"{what} never happened") from None
