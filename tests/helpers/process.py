"""``host-stub`` as a real process, for what only a process shows: signals, ``os._exit``.

It loads the installed plugins through their entry points, like an operator's
``host-stub``, and talks only to the loopback sandbox the ``Cli`` names.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from host_stub.crash import CRASH_ENV
from tests.helpers.cli import Cli

CONDITION_TIMEOUT = 60.0  # seconds: a generous bound on waiting for a state, not a measurement


def argv(cli: Cli, *args: str) -> list[str]:
    config = ["--config", str(cli.config), "--integration", cli.integration]
    return [sys.executable, "-m", "host_stub.cli", *config, *args]


def environment(cli: Cli, crash_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    env.update(cli.environ)
    if crash_at is not None:
        env[CRASH_ENV] = crash_at
    return env


def run(cli: Cli, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv(cli, *args),
        env=environment(cli, crash_at),
        capture_output=True,
        text=True,
        timeout=CONDITION_TIMEOUT,
        check=False,
    )


def spawn(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv(cli, *args),
        env=environment(cli),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds (the state the test needs), else fail naming it."""
    deadline = time.monotonic() + CONDITION_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)
