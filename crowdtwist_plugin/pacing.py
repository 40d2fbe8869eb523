"""The throttle's rules as plain objects driven by a clock value: no waiting, no asyncio.

``Schedule`` hands out start times 1/rate apart; ``AdaptiveRate`` decides the rate: it
halves on a 429 (once per episode), sets a ceiling from what the service accepted lately,
recovers additively and lets the ceiling creep back to the target after a quiet spell.
Every method takes ``now`` so tests drive them on a virtual clock.
"""

from __future__ import annotations

import collections

import attrs

MAX_BURST = 4  # starts at once, far below any CrowdTwist bucket's capacity
BURST_SECONDS = 0.05  # a burst spends at most this many seconds of the budget
MIN_RATE_FRACTION = 1 / 64  # the rate never falls below this fraction of the target
DECREASE = 0.5
RECOVERY_PER_SECOND = 0.05  # of the target rate, while below the ceiling
CEILING_CREEP_PER_SECOND = 0.01  # of the target rate, once quiet for CEILING_QUIET
CEILING_QUIET = 30.0  # seconds without a 429 before the ceiling creeps up again
ACCEPTED_WINDOW = 2.0  # seconds of accepted responses used to estimate the real limit
MIN_ESTIMATE_WINDOW = 0.5  # never estimate a rate from less than this many seconds
CUT_COOLDOWN = 1.0  # 429s from requests already in flight belong to the same episode
DEFAULT_429_PAUSE = 1.0  # seconds everyone waits after a 429 without Retry-After


def burst_for(rate: float) -> int:
    """Starts that may happen at once at ``rate`` per second."""
    return max(1, min(MAX_BURST, int(rate * BURST_SECONDS)))


@attrs.define
class Schedule:
    """Start times 1/rate apart, with at most a burst's worth of credit from idle time.

    The credit means a late wake-up does not lower the rate, and an idle spell never
    saves up more than ``burst`` starts.
    """

    next_start: float = 0.0

    def reserve(self, now: float, rate: float, burst: int) -> float:
        """Book the next start; returns how long to wait for it (0 for now)."""
        spacing = 1.0 / rate
        start = max(self.next_start, now - (burst - 1) * spacing)
        self.next_start = start + spacing
        return max(0.0, start - now)


@attrs.define
class AdaptiveRate:
    """Additive increase, multiplicative decrease, with a ceiling learned from 429s."""

    target: float
    utilization: float
    started: float = 0.0  # the clock when the budget was created
    rate: float = attrs.field(init=False)
    ceiling: float = attrs.field(init=False)
    paused_until: float = attrs.field(init=False, default=0.0)
    throttled: int = attrs.field(init=False, default=0)
    _last_cut: float = attrs.field(init=False)
    _last_adjust: float = attrs.field(init=False)
    _accepted: collections.deque[float] = attrs.field(init=False, factory=collections.deque)

    def __attrs_post_init__(self) -> None:
        if not self.target > 0:
            raise ValueError("target rate must be positive")
        self.rate = self.ceiling = self.target
        self._last_cut = self.started - CUT_COOLDOWN
        self._last_adjust = self.started

    @property
    def min_rate(self) -> float:
        return self.target * MIN_RATE_FRACTION

    @property
    def burst(self) -> int:
        return burst_for(self.rate)

    def _set_rate(self, rate: float) -> None:
        self.rate = max(self.min_rate, min(rate, self.ceiling, self.target))

    def pause_left(self, now: float) -> float:
        return max(0.0, self.paused_until - now)

    def recover(self, now: float) -> None:
        """Raise the rate (and, after a quiet spell, the ceiling) for the time passed."""
        elapsed = max(0.0, now - self._last_adjust)
        self._last_adjust = now
        quiet = now - self._last_cut - CEILING_QUIET
        if quiet > 0 and self.ceiling < self.target:
            # Only the time past the quiet spell counts, however rarely this is called.
            creep = self.target * CEILING_CREEP_PER_SECOND * min(elapsed, quiet)
            self.ceiling = min(self.target, self.ceiling + creep)
        if self.rate < self.ceiling:
            self._set_rate(self.rate + self.target * RECOVERY_PER_SECOND * elapsed)

    def accepted(self, now: float) -> None:
        """A response that was not a 429 arrived."""
        self._accepted.append(now)
        while self._accepted and self._accepted[0] < now - ACCEPTED_WINDOW:
            self._accepted.popleft()

    def throttled_by_service(self, now: float, pause: float, *, saturated: bool) -> None:
        """A 429 arrived: pause everyone, then slow down once per episode.

        ``saturated`` says requests were queueing for our own budget, i.e. we were sending
        all we may: only then does the accepted rate estimate the service's real limit.
        After light traffic a 429 says someone else shares the key, and halving is answer
        enough.
        """
        self.throttled += 1
        self.paused_until = max(self.paused_until, now + pause)
        if now - self._last_cut < CUT_COOLDOWN:
            return
        self._last_cut = now
        if saturated:
            self.ceiling = max(
                self.min_rate, min(self.target, self._accepted_rate(now) * self.utilization)
            )
        self._last_adjust = now
        self._set_rate(self.rate * DECREASE)

    def _accepted_rate(self, now: float) -> float:
        if not self._accepted:
            return 0.0
        window = min(ACCEPTED_WINDOW, max(now - self._accepted[0], MIN_ESTIMATE_WINDOW))
        return sum(1 for t in self._accepted if t >= now - window) / window
