"""What one hook call cost: requests by endpoint template, retries, 429s, waiting, time.

Only endpoint templates are counted, never URLs or identifiers, so the ``stats`` object
can be stored and shown anywhere.
"""

from __future__ import annotations

import collections
import time
from typing import Any

import attrs


@attrs.define
class CallStats:
    """Counters for one hook call; ``to_json`` is the contract's ``stats`` object."""

    started: float = attrs.field(factory=time.monotonic)
    requests: int = 0
    by_endpoint: collections.Counter[str] = attrs.field(factory=collections.Counter)
    retries: int = 0
    responses_429: int = 0
    # Wall-clock time during which at least one request of this call was held back by the
    # budget (concurrent waits overlap; they are not added up).
    budget_wait_s: float = 0.0
    # Requests spent proving an erasure (``erasure.py``); None when none was checked.
    verification_requests: int | None = None
    # How the call used the API's undocumented readings (``readings.py``); None: not used.
    readings: dict[str, Any] | None = None
    _waiters: int = 0
    _waiting_since: float = 0.0

    def waiting(self) -> None:
        if self._waiters == 0:
            self._waiting_since = time.monotonic()
        self._waiters += 1

    def done_waiting(self) -> None:
        self._waiters -= 1
        if self._waiters == 0:
            self.budget_wait_s += time.monotonic() - self._waiting_since

    def sent(self, endpoint: str) -> None:
        self.requests += 1
        self.by_endpoint[endpoint] += 1

    def to_json(self) -> dict[str, Any]:
        cost: dict[str, Any] = {
            "requests": self.requests,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "retries": self.retries,
            "responses_429": self.responses_429,
            "budget_wait_s": round(self.budget_wait_s, 3),
            "elapsed_s": round(time.monotonic() - self.started, 3),
        }
        if self.verification_requests is not None:
            cost["verification_requests"] = self.verification_requests
        if self.readings is not None:
            cost["readings"] = self.readings
        return cost
