"""Run coroutines concurrently; on failure cancel the rest and raise one plain error.

``asyncio.TaskGroup`` raises an ``ExceptionGroup``; a host expects a single exception
with ``retryable``, so the group is unwrapped (a non-retryable error wins, since retrying
will not fix it).
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import itertools
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from crowdtwist_plugin.errors import Detached, TransientError

T = TypeVar("T")
MAX_WORKERS = 64  # awaitables in progress at once per gather_all


async def within_deadline(work: Callable[[], Awaitable[T]], hook: str, seconds: float) -> T:
    """``work()``, or a retryable error once the hook's overall deadline has passed.

    ``work`` is called only here, so a host that drops the hook's coroutine unawaited
    leaves no second, inner coroutine behind.
    """
    caught = Detached(
        TimeoutError,
        into=lambda _: TransientError(
            f"{hook} did not finish within {seconds:g} s; nothing returned"
        ),
    )
    with caught:
        async with asyncio.timeout(seconds):
            return await work()
    caught.raise_caught()


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves


async def gather_all(awaitables: Iterable[Awaitable[T]], limit: int = MAX_WORKERS) -> list[T]:
    """Results in order, or the most telling failure once every task has stopped.

    At most ``limit`` awaitables run at once: the rest are taken from the iterable only as
    workers free up, so a generator of a million pages never becomes a million tasks.
    """
    source = enumerate(awaitables)
    # The first items, taken before any worker starts: one worker each, up to ``limit``
    # (a gather of three is three tasks, not 64). An item leaves ``ready`` only when a
    # worker awaits it, so one never started is still here to be closed.
    ready: collections.deque[tuple[int, Awaitable[T]]] = collections.deque()
    results: dict[int, T] = {}

    def take() -> tuple[int, Awaitable[T]] | None:
        return ready.popleft() if ready else next(source, None)

    async def worker() -> None:
        while (item := take()) is not None:  # a shared iterator: every item is taken once
            index, awaitable = item
            results[index] = await awaitable

    caught = Detached(BaseExceptionGroup, into=_most_telling)
    try:
        with caught:
            ready.extend(itertools.islice(source, limit))
            async with asyncio.TaskGroup() as group:
                for _ in range(len(ready)):
                    group.create_task(worker())
    finally:
        # Never started: close coroutines so none goes un-awaited.
        for _, left in itertools.chain(ready, source):
            if inspect.iscoroutine(left):
                left.close()
    if caught:
        caught.raise_caught()
    return [results[index] for index in range(len(results))]


def _most_telling(group: BaseException) -> BaseException:
    """The group's first non-retryable failure (retrying will not fix it), else its first."""
    assert isinstance(group, BaseExceptionGroup)
    leaves = _leaves(group)
    failure = next((e for e in leaves if not getattr(e, "retryable", False)), leaves[0])
    failure.__context__ = None  # whatever it met inside its own task stays there
    return failure
