"""The per-process budget: the even ``Schedule`` at the ``AdaptiveRate``, as a ``Budget``.

Correct for one process per API key only; a fleet shares a ``RedisBudget`` instead. Both
answer the same question, "how long until my start", so the throttle treats them alike
and the same property tests hold for both.
"""

from __future__ import annotations

from collections.abc import Callable

from crowdtwist_plugin.pacing import AdaptiveRate, Schedule

Clock = Callable[[], float]


class LocalBudget:
    """Reservations on this process's clock; a 429 pauses and slows only this process."""

    def __init__(
        self,
        rate: float,
        *,
        utilization: float,
        clock: Clock,
        saturated: Callable[[], bool] = lambda: False,
    ) -> None:
        self._clock = clock
        self._saturated = saturated
        self.rules = AdaptiveRate(rate, utilization, started=clock())
        self.schedule = Schedule()

    @property
    def rate(self) -> float:
        return self.rules.rate

    @property
    def burst(self) -> int:
        return self.rules.burst

    async def reserve(self) -> float:
        """Book the next start: after any 429 pause, then on the even schedule."""
        now = self._clock()
        pause = self.rules.pause_left(now)
        at = now + pause
        self.rules.recover(at)
        return pause + self.schedule.reserve(at, self.rules.rate, self.rules.burst)

    async def penalise(self, pause: float) -> None:
        self.rules.throttled_by_service(self._clock(), pause, saturated=self._saturated())

    async def aclose(self) -> None:
        return None
