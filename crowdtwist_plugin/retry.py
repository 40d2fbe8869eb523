"""How long to wait before trying a request again: the policy and backoff's wait generator.

``backoff`` drives every retry of the plugin. It sends each failure into ``retry_waits``
(a wait generator, like ``backoff.runtime``), which answers with the server's
``Retry-After`` when there is one and otherwise with exponential backoff and full jitter.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Generator
from datetime import UTC, datetime

import attrs

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# The exponent stops growing here, so a policy with very many tries cannot overflow.
MAX_EXPONENT = 64
_NON_NUMBERS = frozenset({"nan", "inf", "-inf", "+inf", "infinity", "-infinity"})


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
    if text.lower() in _NON_NUMBERS:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def clock_skew(date_header: str | None, now: float) -> float | None:
    """Seconds this machine's clock (``now``) is ahead of a response's ``Date`` (negative:
    behind), or ``None`` without a usable date. ``Date`` has whole seconds only."""
    if not date_header:
        return None
    try:
        served = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if served.tzinfo is None:
        served = served.replace(tzinfo=UTC)
    return now - served.timestamp()


@attrs.frozen
class RetryPolicy:
    """Bounded retries: at most ``max_tries`` attempts within ``max_time`` seconds."""

    max_tries: int = 6
    max_time: float = 120.0
    base: float = 0.5
    factor: float = 2.0
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    rng: random.Random = attrs.field(factory=random.Random, repr=False, eq=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            # The server said when; jitter would only make us early.
            return min(retry_after, self.max_retry_after)
        exponent = min(attempt - 1, MAX_EXPONENT)
        return self.rng.uniform(0, min(self.max_backoff, self.base * self.factor**exponent))


def retry_waits(policy: RetryPolicy) -> Generator[float, BaseException | None, None]:
    """backoff's wait generator: it is primed with ``None``, then sent each failure."""
    failure = yield 0.0
    attempt = 1
    while True:
        retry_after = getattr(failure, "retry_after", None)
        failure = yield policy.delay(attempt, retry_after)
        attempt += 1
