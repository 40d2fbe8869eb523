"""The asynchronous deletion queue: statuses advance with the monotonic clock."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import attrs

STATUSES = ("Deletion_initiated", "Deletion_in_progress", "Deletion_completed")
INITIATED_BY = "API"


@attrs.frozen
class Deletion:
    user_id: int
    initiated_by: str
    queued_at: float
    queued_wall: float


def _iso_millis(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).isoformat(timespec="milliseconds")


@attrs.define
class DeletionBook:
    """Queued deletions, keyed by CrowdTwist id.

    A deletion reports ``Deletion_initiated`` from the moment it is queued, then moves one
    status further every ``step`` seconds; after two steps the member is gone, or, for
    tests and the demo, ``lag`` seconds after that (a lagging erasure), or never
    (``never_erased``: a failed erasure that still reports ``Deletion_completed``).
    """

    step: float
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    lag: float = 0.0
    never_erased: bool = False
    _entries: dict[int, Deletion] = attrs.field(factory=dict)

    def queue(self, user_id: int) -> Deletion:
        entry = Deletion(user_id, INITIATED_BY, self.clock(), self.wall_clock())
        self._entries[user_id] = entry
        return entry

    def get(self, user_id: int) -> Deletion | None:
        return self._entries.get(user_id)

    def _phase(self, entry: Deletion) -> int:
        if self.step <= 0:
            return len(STATUSES) - 1
        elapsed = self.clock() - entry.queued_at
        return min(int(elapsed / self.step), len(STATUSES) - 1)

    def is_completed(self, user_id: int) -> bool:
        entry = self._entries.get(user_id)
        return entry is not None and self._phase(entry) == len(STATUSES) - 1

    def is_erased(self, user_id: int) -> bool:
        """Completed, and the member's data really gone (after any lag)."""
        entry = self._entries.get(user_id)
        if entry is None or self.never_erased or not self.is_completed(user_id):
            return False
        completed_at = entry.queued_at + (len(STATUSES) - 1) * max(self.step, 0.0)
        return self.clock() - completed_at >= self.lag

    def describe(self, entry: Deletion) -> dict[str, Any]:
        phase = self._phase(entry)
        return {
            "user_id": entry.user_id,
            "initiated_by": entry.initiated_by,
            "status": STATUSES[phase],
            "status_history": [
                {"status": STATUSES[i], "date": _iso_millis(entry.queued_wall + i * self.step)}
                for i in range(phase + 1)
            ],
        }
