"""When may the next request start: a rate budget, per process or shared through Redis.

A budget only answers "how long until my start"; the in-flight bound and the retry policy
live elsewhere. ``RedisBudget`` is the budget a fleet of workers shares: every worker with
the same API key and origins draws from one budget held in Redis (see ``redis_budget``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from crowdtwist_plugin.budget.local import LocalBudget
from crowdtwist_plugin.budget.redis_budget import (
    CUT_COOLDOWN,
    DECREASE,
    RECOVERY_PER_SECOND,
    BudgetStoreError,
    RedisBudget,
    RedisURL,
    Reservation,
    budget_namespace,
)

__all__ = [
    "CUT_COOLDOWN",
    "DECREASE",
    "RECOVERY_PER_SECOND",
    "Budget",
    "BudgetStoreError",
    "LocalBudget",
    "RedisBudget",
    "RedisURL",
    "Reservation",
    "budget_namespace",
]


@runtime_checkable
class Budget(Protocol):
    async def reserve(self) -> float:
        """Reserve the next request start. Returns the seconds the caller must wait before
        starting (>= 0). Reservations are granted in arrival order (FIFO): a later call never
        gets an earlier start than an earlier call."""

    async def penalise(self, pause: float) -> None:
        """The service answered 429: no start (of any worker sharing this budget) may happen
        before now + pause, and the rate is lowered (multiplied by DECREASE=0.5) once per
        episode: 429s within CUT_COOLDOWN=1.0 s of the last cut are the same episode."""

    async def aclose(self) -> None: ...
