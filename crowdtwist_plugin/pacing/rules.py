"""When may a request start: the budget's rules and the waits after a failure, as plain
functions of a clock value. Nothing here waits or does I/O.

The budget is GCRA (the virtual-scheduling form of a leaky bucket). ``tat`` is the slot
of the next start when nobody has credit; a start arriving at ``now`` takes
``slot = max(tat, now - tau, paused_until)`` with ``tau = (burst - 1) / target``, starts
at ``max(slot, now)`` and moves ``tat`` to ``slot + 1 / rate``. Slots only grow, so starts
are FIFO by arrival even while the rate changes, and any window of ``t`` seconds holds at
most ``target x t + burst`` starts.

A 429 pauses every start sharing the budget (``Retry-After``, or 1 s without one) and
halves the rate once per episode: 429s of requests that started before the last cut were
already in flight and belong to it. If the budget was booked ahead (we were sending all
we may), the rate it was sending at, times the utilisation, becomes a ceiling. The rate
recovers additively up to the ceiling, and the ceiling creeps back to the target after a
quiet spell. ``LocalBudget`` applies these functions to this process's state; the fleet's
``RedisBudget`` applies ``gcra.lua``, which mirrors ``reserve`` and ``penalise`` line by
line (tests/budget runs both through the same cases).
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import attrs

MAX_BURST = 4  # starts at once, far below any CrowdTwist bucket's capacity
BURST_SECONDS = 0.05  # a burst spends at most this many seconds of the budget
MIN_RATE_FRACTION = 1 / 64  # the rate never falls below this fraction of the target
DECREASE = 0.5
RECOVERY_PER_SECOND = 0.05  # of the target rate, while below the ceiling
CEILING_CREEP_PER_SECOND = 0.01  # of the target rate, once quiet for CEILING_QUIET
CEILING_QUIET = 30.0  # seconds without a cut before the ceiling creeps up again
DEFAULT_429_PAUSE = 1.0  # seconds everyone waits after a 429 without Retry-After
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_EXPONENT = 64  # backoff's exponent stops here: very many tries cannot overflow
_NON_NUMBERS = frozenset({"nan", "inf", "-inf", "+inf", "infinity", "-infinity"})

Clock = Callable[[], float]


def burst_for(rate: float) -> int:
    """Starts that may happen at once at ``rate`` per second."""
    return max(1, min(MAX_BURST, int(rate * BURST_SECONDS)))


@attrs.frozen
class Limits:
    """One budget's constants: its target rate (starts per second) and utilisation."""

    target: float
    utilization: float = 1.0
    burst: int = attrs.field(default=attrs.Factory(lambda s: burst_for(s.target), takes_self=True))

    def __attrs_post_init__(self) -> None:
        if not (math.isfinite(self.target) and self.target > 0):
            raise ValueError("rate must be a positive number of starts per second")
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ValueError("burst must be a positive integer")

    @property
    def floor(self) -> float:
        return self.target * MIN_RATE_FRACTION


@attrs.define
class BudgetState:
    """What a budget remembers; the same fields as the Redis hash (clock seconds)."""

    rate: float
    ceiling: float
    adjusted: float  # when the rate was last recovered
    tat: float | None = None
    paused_until: float = 0.0
    last_cut: float | None = None

    @classmethod
    def fresh(cls, limits: Limits, now: float) -> BudgetState:
        return cls(rate=limits.target, ceiling=limits.target, adjusted=now)


def _recover(state: BudgetState, now: float, limits: Limits) -> None:
    """Credit the time since the last call: the ceiling creeps once quiet, the rate rises."""
    elapsed = max(0.0, now - state.adjusted)
    state.adjusted = now
    quiet = math.inf if state.last_cut is None else now - state.last_cut - CEILING_QUIET
    if quiet > 0 and state.ceiling < limits.target:
        # Only the time past the quiet spell counts, however rarely this is called.
        creep = limits.target * CEILING_CREEP_PER_SECOND * min(elapsed, quiet)
        state.ceiling = min(limits.target, state.ceiling + creep)
    if state.rate < state.ceiling:
        state.rate += limits.target * RECOVERY_PER_SECOND * elapsed
    state.rate = max(limits.floor, min(state.rate, state.ceiling, limits.target))


def reserve(state: BudgetState, now: float, limits: Limits) -> float:
    """Book the next start; returns how long to wait for it (0 for now)."""
    _recover(state, now, limits)
    slot = max(now - (limits.burst - 1) / limits.target, state.paused_until)
    if state.tat is not None:
        slot = max(slot, state.tat)
    state.tat = slot + 1 / state.rate
    return max(0.0, slot - now)


def penalise(state: BudgetState, now: float, pause: float, started: float, limits: Limits) -> float:
    """A 429 for a request that started at ``started``: no start before ``now + pause``,
    and a cut unless the request was in flight at the last one. Returns the pause left."""
    _recover(state, now, limits)
    state.paused_until = max(state.paused_until, now + pause)
    last = state.last_cut
    # A clock that went back (a failover to another Redis) cuts too: never too fast.
    if last is None or started >= last or now < last:
        if state.tat is not None and state.tat - now >= 1 / state.rate:
            # Booked a start ahead: this rate is what the service refused.
            state.ceiling = max(limits.floor, min(limits.target, state.rate * limits.utilization))
        state.rate = max(limits.floor, state.rate * DECREASE)
        state.last_cut = now
    return state.paused_until - now


@attrs.frozen
class Reservation:
    """One start as the budget booked it: ``at`` on the budget's clock, plus ``wait``."""

    wait: float
    at: float
    rate: float  # the budget's rate after the call, starts per second

    @property
    def start(self) -> float:
        return self.at + self.wait


@runtime_checkable
class Budget(Protocol):
    """Answers "how long until my start" for every request sharing it."""

    limits: Limits

    @property
    def rate(self) -> float:
        """The current rate, starts per second (the latest one seen, for a shared budget)."""

    async def reserve(self) -> Reservation:
        """Reserve the next start (FIFO by arrival): wait ``wait`` seconds (>= 0) for it."""

    async def penalise(self, pause: float, started: float) -> None:
        """A 429 for the request that started at ``started`` (a ``Reservation.start``):
        every start sharing the budget waits ``pause``; the rate is cut once per episode."""

    async def aclose(self) -> None: ...


class LocalBudget:
    """The rules on this process's clock: correct for one process per API key only."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self.state = BudgetState.fresh(limits, clock())

    @property
    def rate(self) -> float:
        return self.state.rate

    async def reserve(self) -> Reservation:
        now = self._clock()
        wait = reserve(self.state, now, self.limits)
        return Reservation(wait, now, self.state.rate)

    async def penalise(self, pause: float, started: float) -> None:
        penalise(self.state, self._clock(), pause, started, self.limits)

    async def aclose(self) -> None:
        return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date).

    ``None`` for a missing, negative or unusable value (the caller then backs off
    exponentially). Never raises; never negative.
    """
    text = (value or "").strip()
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
    when = http_date(text)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def http_date(text: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


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

    def pause_after_429(self, retry_after: float | None) -> float:
        """How long every start sharing the budget waits after a 429."""
        return min(DEFAULT_429_PAUSE if retry_after is None else retry_after, self.max_retry_after)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The retry's own wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            # The server said when; jitter would only make us early.
            return min(retry_after, self.max_retry_after)
        exponent = min(attempt - 1, MAX_EXPONENT)
        return self.rng.uniform(0, min(self.max_backoff, self.base * self.factor**exponent))


def retry_waits(policy: RetryPolicy) -> Generator[float, BaseException | None, None]:
    """backoff's wait generator (like ``backoff.runtime``): primed with ``None``, then sent
    each failure, it answers with ``RetryPolicy.delay``."""
    failure = yield 0.0
    attempt = 1
    while True:
        retry_after = getattr(failure, "retry_after", None)
        failure = yield policy.delay(attempt, retry_after)
        attempt += 1
