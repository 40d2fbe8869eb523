"""Interruptions: Ctrl-C and SIGTERM end a command the same way, with one line.

``asyncio.run`` turns the first Ctrl-C into the cancellation of the command's task; SIGTERM
(a service manager stopping the host, ``kill``) is made to do the same, where the command
runs on the main thread. The cancellation unwinds through every ``finally`` and
``except BaseException`` on the way: an access request is marked failed ("interrupted"),
a deletion keeps its state and gives up its claim, so ``host-stub resume`` continues it.
The CLI then prints ``error: interrupted`` and exits 130 (Ctrl-C) or 143 (SIGTERM), never
with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(Exception):
    """The command was stopped by SIGTERM."""


async def terminable(command: Coroutine[Any, Any, T]) -> T:
    """Run ``command``; SIGTERM cancels it and raises ``Terminated`` once it unwound."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    signalled: list[int] = []

    def stop() -> None:
        signalled.append(signal.SIGTERM)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, stop)
        installed = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
        installed = False
    try:
        return await command
    except asyncio.CancelledError:
        if signalled:
            raise Terminated from None
        raise
    finally:
        if installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signal.SIGTERM)
