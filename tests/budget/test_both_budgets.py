"""The same properties for both budgets the throttle can draw from: this process's
``LocalBudget`` (on a virtual clock) and the fleet's ``RedisBudget`` (on Redis's clock).

Starts are computed, never slept: arrival time on the budget's clock + the returned wait.
- in every window of t seconds, at most rate x t + burst starts, and in arrival order;
- after a 429 (``penalise``) no start falls inside the pause.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from crowdtwist_plugin.pacing import Budget, Limits, LocalBudget, burst_for
from crowdtwist_plugin.pacing.redis_budget import RedisBudget
from tests.budget.conftest import RedisServer, fresh_namespace
from tests.budget.test_properties import SLACK, assert_window_bound

RATE = 50.0
Start = Callable[[], Awaitable[tuple[float, float]]]  # (arrival, start)


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["local", "redis"])
async def budget(
    request: pytest.FixtureRequest, redis_server: RedisServer
) -> AsyncIterator[tuple[Budget, Start]]:
    """A budget and a function that reserves a start and returns when it is."""
    if request.param == "local":
        clock = VirtualClock()
        local = LocalBudget(Limits(RATE), clock)

        async def start_local() -> tuple[float, float]:
            clock.now += 0.001  # arrivals a millisecond apart
            return clock.now, (await local.reserve()).start

        yield local, start_local
        return
    shared = RedisBudget.connect(
        redis_server.url, namespace=fresh_namespace(), rate=RATE, burst=burst_for(RATE)
    )

    async def start_shared() -> tuple[float, float]:
        reservation = await shared.reserve()
        return reservation.at, reservation.at + reservation.wait

    try:
        yield shared, start_shared
    finally:
        await shared.aclose()


async def test_starts_stay_within_rate_times_t_plus_burst_in_order(
    budget: tuple[Budget, Start],
) -> None:
    _, start = budget
    starts = [(await start())[1] for _ in range(60)]
    assert all(later >= earlier - SLACK for earlier, later in itertools.pairwise(starts))
    assert_window_bound(starts, RATE, burst_for(RATE))


async def test_a_429_holds_every_later_start_back(budget: tuple[Budget, Start]) -> None:
    shared, start = budget
    before = [await start() for _ in range(5)]
    # Set after the last arrival below, on the budget's clock.
    await shared.penalise(2.0, before[-1][1])
    after = [(await start())[1] for _ in range(10)]
    last_arrival = before[-1][0]
    assert min(after) >= last_arrival + 2.0 - SLACK
