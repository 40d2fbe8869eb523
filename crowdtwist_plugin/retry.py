"""When and how long to wait before trying a request again."""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime

import attrs

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date).

    Returns ``None`` for a missing, negative or unusable value, so the caller falls back
    to exponential backoff. Never raises; never negative.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        # A negative delay is nonsense, not "now": fall back to backoff.
        return seconds if seconds >= 0 else None
    if text.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@attrs.frozen
class RetryPolicy:
    """Bounded exponential backoff with full jitter, honouring ``Retry-After``.

    ``sleep`` is injectable so tests can observe the waits without waiting.
    """

    max_tries: int = 6
    max_time: float = 120.0
    base: float = 0.5
    factor: float = 2.0
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = attrs.field(factory=random.Random, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            # The server said when; jitter would only make us early.
            return min(retry_after, self.max_retry_after)
        # The exponent is capped so that a policy with very many tries cannot overflow.
        ceiling = min(self.max_backoff, self.base * self.factor ** min(attempt - 1, 64))
        return self.rng.uniform(0, ceiling)


# Tests set their own policy (e.g. a sleep that records instead of waiting).
RETRY_POLICY: ContextVar[RetryPolicy | None] = ContextVar("crowdtwist_retry_policy", default=None)
_DEFAULT_POLICY = RetryPolicy()


def current_retry_policy() -> RetryPolicy:
    return RETRY_POLICY.get() or _DEFAULT_POLICY
