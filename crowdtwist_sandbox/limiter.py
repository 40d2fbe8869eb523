"""A leaky-bucket rate limiter per API key, shared by both origins."""

from __future__ import annotations

import enum
import hashlib
from typing import Any

import attrs


@attrs.define
class LeakyBucket:
    """A bucket that leaks ``rate`` units per second and holds at most ``capacity``.

    Each admitted request adds one unit. In any window of length t the bucket admits at
    most ``rate * t + capacity`` requests: the level starts the window >= 0, ends it
    <= capacity, and leaks at most ``rate * t`` in between.
    """

    rate: float
    capacity: int
    level: float = 0.0
    updated: float | None = None

    def admit(self, now: float) -> bool:
        if self.updated is not None:
            elapsed = max(0.0, now - self.updated)
            self.level = max(0.0, self.level - elapsed * self.rate)
            now = max(now, self.updated)
        self.updated = now
        if self.level + 1 <= self.capacity:
            self.level += 1
            return True
        return False


class Keep(enum.Enum):
    """Marks a setting that an update leaves as it is."""

    KEEP = "keep"


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@attrs.define
class RateLimiter:
    """Buckets per hashed API key; ``rate=None`` admits everything."""

    rate: float | None
    capacity: int
    retry_after: str | None = None
    _buckets: dict[str, LeakyBucket] = attrs.field(factory=dict)

    def update(
        self,
        rate: float | None,
        capacity: int | None = None,
        retry_after: str | Keep | None = Keep.KEEP,
    ) -> None:
        """Switch to a new policy at once; buckets start empty under the new policy.

        ``capacity=None`` and ``retry_after=Keep.KEEP`` keep the current values.
        """
        capacity = self.capacity if capacity is None else capacity
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive or None")
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.rate, self.capacity = rate, capacity
        if not isinstance(retry_after, Keep):
            self.retry_after = retry_after
        self._buckets.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "rate_per_second": self.rate,
            "capacity": self.capacity,
            "retry_after": self.retry_after,
        }

    def admit(self, api_key: str, now: float) -> bool:
        if self.rate is None:
            return True
        digest = key_digest(api_key)
        bucket = self._buckets.get(digest)
        if bucket is None:
            bucket = self._buckets[digest] = LeakyBucket(self.rate, self.capacity)
        return bucket.admit(now)
