"""Run coroutines concurrently; on failure cancel the rest and raise one plain error.

``asyncio.TaskGroup`` raises an ``ExceptionGroup``; a host expects a single exception
with ``retryable``, so the group is unwrapped (a non-retryable error wins, since retrying
will not fix it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from crowdtwist_plugin.errors import TransientError

T = TypeVar("T")


async def within_deadline(work: Callable[[], Awaitable[T]], hook: str, seconds: float) -> T:
    """``work()``, or a retryable error once the hook's overall deadline has passed.

    ``work`` is called only here, so a host that drops the hook's coroutine unawaited
    leaves no second, inner coroutine behind.
    """
    failure: TransientError | None = None
    try:
        async with asyncio.timeout(seconds):
            return await work()
    except TimeoutError:
        failure = TransientError(f"{hook} did not finish within {seconds:g} s; nothing returned")
    raise failure


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves


async def gather_all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Results in order, or the most telling failure once every task has stopped."""
    failure: BaseException | None = None
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_run(a)) for a in awaitables]
    except BaseExceptionGroup as eg:
        leaves = _leaves(eg)
        failure = next((e for e in leaves if not getattr(e, "retryable", False)), leaves[0])
    if failure is not None:
        failure.__context__ = None
        raise failure
    return [task.result() for task in tasks]


async def _run(awaitable: Awaitable[T]) -> T:
    return await awaitable
