"""What a cancelled or timed-out hook call must not leave behind: plugin tasks, open
sessions or connectors, coroutines never awaited, ResourceWarnings."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp


def is_task_of_plugin(task: asyncio.Task[Any]) -> bool:
    """Does this task run plugin or aiohttp-client code (not the sandbox's server side)?"""
    markers = ("crowdtwist_plugin", "aiohttp/client", "aiohttp/connector", "asyncio_throttle")
    coro = task.get_coro()
    names = [getattr(getattr(coro, "cr_code", None), "co_filename", "")]
    names += [frame.f_code.co_filename for frame in task.get_stack(limit=50)]
    return any(marker in name for name in names for marker in markers)


@contextlib.asynccontextmanager
async def nothing_left_behind(
    sessions: list[aiohttp.ClientSession], *, opened: bool = True
) -> AsyncIterator[None]:
    before = asyncio.all_tasks()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        for _ in range(5):
            await asyncio.sleep(0)
        gc.collect()
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() - before if t is not current and is_task_of_plugin(t)]
    assert left == [], f"pending plugin tasks: {left}"
    if opened:
        assert sessions, "the plugin opened no session"
    assert all(s.closed for s in sessions), "an aiohttp session was left open"
    assert all(s.connector is None or s.connector.closed for s in sessions)
    bad = [
        w
        for w in caught
        if issubclass(w.category, ResourceWarning)
        or (issubclass(w.category, RuntimeWarning) and "never awaited" in str(w.message))
    ]
    assert bad == [], [str(w.message) for w in bad]
