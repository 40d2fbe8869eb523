"""Test-side use of the throttle: one start held for the body of an ``async with``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from crowdtwist_plugin.pacing import Budget, Flow, Priority
from crowdtwist_plugin.pacing.throttle import Throttle


@asynccontextmanager
async def slot(
    throttle: Throttle,
    budget: Budget | None = None,
    priority: Priority = Priority.BULK,
    flow: Flow | None = None,
) -> AsyncIterator[None]:
    """``acquire`` (this process's budget unless ``budget``) and, on leaving, ``release``:
    what the client does around each request."""
    await throttle.acquire(budget or throttle.local, priority, flow)
    try:
        yield
    finally:
        throttle.release()
