"""Properties of the shared budget, with every start computed by Redis (arrival time on
Redis's clock + the returned wait), never from wall-clock sleeps:

- in every window of t seconds, at most rate x t + burst starts;
- FIFO: a later reservation never starts before an earlier one;
- after a 429 no start falls inside the pause, and none is moved earlier by it;
- the shared rate stays within [rate / 64, rate].
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from crowdtwist_plugin.pacing import Budget
from crowdtwist_plugin.pacing.redis_budget import RedisBudget, Reservation
from tests.budget.conftest import RedisServer, fresh_namespace

START = 1_795_000_000.0
SLACK = 1e-4  # seconds: rounding of ~1.8e9 s doubles, about 1e-7 s per reservation
PROPERTY = settings(derandomize=True, deadline=None, database=None, max_examples=120)


def assert_window_bound(starts: Sequence[float], rate: float, burst: int) -> None:
    """Every window [starts[i], starts[j]] holds j - i + 1 starts: at most rate x t + burst."""
    ordered = sorted(starts)
    for i, first in enumerate(ordered):
        for j in range(i, len(ordered)):
            count = j - i + 1
            allowed = rate * (ordered[j] - first + SLACK) + burst
            assert count <= allowed, f"{count} starts in {ordered[j] - first:.6f} s"


def assert_fifo(reservations: Sequence[Reservation]) -> None:
    starts = [r.at + r.wait for r in reservations]
    for earlier, later in itertools.pairwise(starts):
        assert later >= earlier - SLACK


def starts_of(reservations: Sequence[Reservation]) -> list[float]:
    return [r.at + r.wait for r in reservations]


events = st.lists(
    st.tuples(
        st.sampled_from(["reserve"] * 6 + ["penalise"]),
        st.one_of(st.just(0.0), st.floats(0.0, 3.0)),  # seconds since the previous event
        st.floats(0.0, 4.0),  # pause, for a 429
    ),
    min_size=1,
    max_size=60,
)


@PROPERTY
@given(
    rate=st.floats(0.2, 500.0),
    burst=st.integers(1, 4),
    script=events,
)
def test_any_arrivals_and_429s_keep_every_bound(
    redis_server: RedisServer, rate: float, burst: int, script: list[tuple[str, float, float]]
) -> None:
    async def run() -> tuple[list[Reservation], list[tuple[int, float]], list[float]]:
        reservations: list[Reservation] = []
        pauses: list[tuple[int, float]] = []  # (reservations before the 429, pause end)
        rates: list[float] = []
        clock = START
        async with RedisBudget.connect(
            redis_server.url, namespace=fresh_namespace(), rate=rate, burst=burst
        ) as budget:
            for mode, gap, pause in script:
                clock += gap
                if mode == "reserve":
                    reservations.append(await budget._run("reserve", clock=clock))
                    rates.append(reservations[-1].rate)
                else:
                    penalty = await budget._run("penalise", pause=pause, clock=clock)
                    pauses.append((len(reservations), clock + pause))
                    rates.append(penalty.rate)
            with redis_server.client() as client:
                client.delete(budget.key)
        return reservations, pauses, rates

    reservations, pauses, rates = asyncio.run(run())
    assert_window_bound(starts_of(reservations), rate, burst)
    assert_fifo(reservations)
    for before, until in pauses:
        for reservation in reservations[before:]:
            assert reservation.at + reservation.wait >= until - SLACK
    assert all(rate / 64 - SLACK <= r <= rate for r in rates)


async def test_concurrent_callers_on_at(redis_server: RedisServer, namespace: str) -> None:
    """Real Redis TIME, many callers at once in one process: bound and FIFO hold."""
    rate, burst = 50.0, 3
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=rate, burst=burst
    ) as budget:
        assert isinstance(budget, Budget)
        reservations = await asyncio.gather(*(budget.reserve() for _ in range(60)))
    by_arrival = sorted(reservations, key=lambda r: (r.at, r.wait))
    assert_fifo(by_arrival)
    assert_window_bound(starts_of(by_arrival), rate, burst)
    starts = sorted(starts_of(by_arrival))
    # One shared schedule: 60 starts at 50/s after a burst of 3 take 57 intervals at least.
    assert starts[-1] - starts[0] >= (60 - burst) / rate - SLACK


async def test_separate_namespaces_do_not_share(redis_server: RedisServer) -> None:
    async with (
        RedisBudget.connect(redis_server.url, namespace=fresh_namespace(), rate=0.01, burst=1) as a,
        RedisBudget.connect(redis_server.url, namespace=fresh_namespace(), rate=0.01, burst=1) as b,
    ):
        assert (await a.reserve()).wait == 0.0
        assert (await b.reserve()).wait == 0.0
        assert (await a.reserve()).wait > 50.0
