"""gather_all leaves no coroutine un-awaited, whatever fails and whenever.

pytest turns "coroutine ... was never awaited" into an error for the whole suite, so a
coroutine left behind fails these tests.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from crowdtwist_plugin.errors import ResponseError
from crowdtwist_plugin.tasks import gather_all


async def item(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def failing() -> int:
    raise ResponseError("page 2 is broken")


def then_broken() -> Iterator[Any]:
    yield item(1)
    yield item(2)
    raise RuntimeError("the plan could not be built")


async def test_a_source_that_fails_while_the_first_items_are_taken() -> None:
    with pytest.raises(RuntimeError, match="could not be built"):
        await gather_all(then_broken())
    gc.collect()


async def test_items_whose_workers_never_started_are_closed() -> None:
    with pytest.raises(ResponseError, match="broken"):
        await gather_all([failing(), item(2), item(3), *(item(i) for i in range(100))])
    gc.collect()


async def test_one_worker_per_item_up_to_the_limit() -> None:
    before = len(asyncio.all_tasks())
    seen: list[int] = []

    async def counted(value: int) -> int:
        seen.append(len(asyncio.all_tasks()) - before)
        await asyncio.sleep(0)
        return value

    assert await gather_all([counted(i) for i in range(3)]) == [0, 1, 2]
    assert max(seen) == 3
    assert await gather_all((counted(i) for i in range(10)), limit=4) == list(range(10))
    assert max(seen) == 4
