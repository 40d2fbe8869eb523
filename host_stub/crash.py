"""Injected crash points, for the tests that kill the host at each step of its work.

``HOST_STUB_CRASH_AT=<point>`` in the environment makes the process end at once
(``os._exit``, as ``kill -9`` would: no ``finally``, no rollback, no flush) when it reaches
``crash_point("<point>")``. Unset, a crash point costs one dictionary lookup. The points
are listed in ``POINTS`` so a test can try every one of them.
"""

from __future__ import annotations

import os

CRASH_ENV = "HOST_STUB_CRASH_AT"
CRASH_EXIT = 137  # what a shell reports for a process killed by SIGKILL
POINTS = (
    "erasure-key-written",  # the new key is in its temporary file, not linked yet
    "access-report-written",  # the report file is written, its row not yet updated
    "delete-ahead",  # a DELETE may be sent next: recorded, not sent
    "deletion-answered",  # the plugin answered, its ticket not yet stored
    "erasure-files-removed",  # the erased person's report files are gone, nothing committed
    "erasure-committed",  # completion and minimisation committed
)


def crash_point(name: str) -> None:
    """End the process here if ``HOST_STUB_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT)
