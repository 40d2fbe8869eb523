"""Property-based tests: the throttle on a virtual clock, the Retry-After parser, the delays.

The throttle runs on an event loop whose clock is virtual: the loop's ``time()`` and
``asyncio_throttle``'s ``time.monotonic`` read the same counter, and the selector advances
it by the timeout the loop asks to wait instead of waiting. A run that would take minutes
of real time takes milliseconds, and timer resolution plays no part in the bounds.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import selectors
import types
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from unittest import mock

import asyncio_throttle.throttler
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crowdtwist_plugin.pacing import burst_for
from crowdtwist_plugin.pacing.rules import RetryPolicy, parse_retry_after
from crowdtwist_plugin.pacing.throttle import Throttle
from tests.helpers.pacing import slot

T = TypeVar("T")
PROPERTY = settings(derandomize=True, deadline=None, database=None, max_examples=150)


# --- a virtual clock ------------------------------------------------------------------------


class VirtualClock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def time(self) -> float:
        return self.now


class _VirtualSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("deadlock: nothing is scheduled and nothing can happen")
        if timeout > 0:
            self._clock.now += timeout
        return super().select(0)


def run_virtual(make: Callable[[VirtualClock], Coroutine[Any, Any, T]]) -> T:
    clock = VirtualClock()
    loop = asyncio.SelectorEventLoop(_VirtualSelector(clock))
    loop.time = clock.time  # type: ignore[method-assign]
    fake_time = types.SimpleNamespace(monotonic=clock.time)
    try:
        with mock.patch.object(asyncio_throttle.throttler, "time", fake_time):
            return loop.run_until_complete(make(clock))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def max_in_window(starts: list[float], rate: float) -> float:
    """The largest excess of starts over ``rate * t`` in any window [s_i, s_j]."""
    starts = sorted(starts)
    worst = -math.inf
    for i, j in itertools.combinations_with_replacement(range(len(starts)), 2):
        worst = max(worst, (j - i + 1) - rate * (starts[j] - starts[i]))
    return worst


def test_the_virtual_clock_really_is_virtual() -> None:
    async def scenario(clock: VirtualClock) -> float:
        began = clock.time()
        await asyncio.sleep(3600)
        return clock.time() - began

    assert run_virtual(scenario) == pytest.approx(3600)


# --- the throttle ---------------------------------------------------------------------------


@PROPERTY
@given(
    rate=st.floats(0.2, 5_000.0),
    max_in_flight=st.integers(1, 16),
    arrivals=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=60),
    hold=st.floats(0.0, 2.0),
)
@example(rate=80.0, max_in_flight=4, arrivals=[0.0] * 60, hold=0.0)
@example(rate=0.5, max_in_flight=1, arrivals=[0.0, 0.0, 10.0, 10.0, 10.0], hold=0.0)
def test_throttle_admits_at_most_rate_times_t_plus_burst(
    rate: float, max_in_flight: int, arrivals: list[float], hold: float
) -> None:
    async def scenario(clock: VirtualClock) -> tuple[list[float], int]:
        throttle = Throttle(rate, max_in_flight=max_in_flight)
        starts: list[float] = []
        in_flight = peak = 0

        async def one(at: float) -> None:
            nonlocal in_flight, peak
            await asyncio.sleep(at)
            async with slot(throttle):
                starts.append(clock.time())
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(hold)
                in_flight -= 1

        budget = max(arrivals) + len(arrivals) * (1 / rate + hold) + 60
        async with asyncio.timeout(budget):
            await asyncio.gather(*(one(at) for at in arrivals))
        return starts, peak

    starts, peak = run_virtual(scenario)
    assert len(starts) == len(arrivals)  # no starvation: every acquisition completes
    assert peak <= max_in_flight
    assert max_in_window(starts, rate) <= burst_for(rate) + 1e-6


@settings(PROPERTY, max_examples=50)
@given(
    rate=st.floats(1.0, 2_000.0),
    pause=st.floats(0.01, 5.0),
    at=st.integers(1, 30),
    n=st.integers(31, 60),
)
def test_a_429_holds_every_start_back_and_never_speeds_up(
    rate: float, pause: float, at: int, n: int
) -> None:
    async def scenario(clock: VirtualClock) -> tuple[list[float], float]:
        throttle = Throttle(rate, max_in_flight=8)
        starts: list[float] = []
        limited_at = -1.0

        async def one(index: int) -> None:
            nonlocal limited_at
            async with slot(throttle):
                starts.append(clock.time())
                if index == at:
                    limited_at = clock.time()
                    await throttle.local.penalise(pause, limited_at)

        async with asyncio.timeout(n / rate * 4 + pause + 60):
            await asyncio.gather(*(one(i) for i in range(n)))
        return starts, limited_at

    starts, limited_at = run_virtual(scenario)
    assert len(starts) == n
    assert not [s for s in starts if limited_at < s < limited_at + pause - 1e-9]
    assert max_in_window(starts, rate) <= burst_for(rate) + 1e-6


# --- Retry-After ----------------------------------------------------------------------------

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz", ""]
MONTHS = ["Jan", "Feb", "Mar", "Dec", "Foo", ""]
http_dates = st.builds(
    lambda day, d, mon, y, hh, mm, ss, zone: (
        f"{day}, {d:02d} {mon} {y} {hh:02d}:{mm:02d}:{ss:02d} {zone}"
    ),
    st.sampled_from(DAYS),
    st.integers(0, 40),
    st.sampled_from(MONTHS),
    st.integers(-10, 100_000),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.one_of(
        st.sampled_from(["GMT", "UTC", "EST", "+0000", "-0500", "Z", "", "+9999", "-9999"]),
        st.from_regex(r"[+-][0-9]{4}", fullmatch=True),
    ),
)
numbers = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats().map(lambda f: f"{f:.3e}"),
    st.sampled_from(["1e400", "-1e400", "nan", "+inf", "0x10", "1_000", "٣", "1 2", "3, 9"]),
)
header_values = st.one_of(st.none(), st.text(), http_dates, numbers)


@settings(PROPERTY, max_examples=300)
@given(value=header_values, now=st.datetimes(timezones=st.just(UTC)))
def test_parse_retry_after_never_raises_and_is_never_negative(
    value: str | None, now: datetime
) -> None:
    seconds = parse_retry_after(value, now=now)
    assert seconds is None or (isinstance(seconds, float) and math.isfinite(seconds))
    assert seconds is None or seconds >= 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("-5", None),  # negative is garbage: back off instead
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 0.0),  # RFC 850 form
        ("Sun Nov  6 08:49:37 1994", 0.0),  # asctime form
        ("", None),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_retry_after_known_values(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_date() -> None:
    now = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    value = "Fri, 27 Nov 2026 10:00:30 GMT"
    assert parse_retry_after(value, now=now) == 30.0
    assert parse_retry_after(value, now=now + timedelta(minutes=1)) == 0.0


# --- RetryPolicy.delay ------------------------------------------------------------------------

policies = st.builds(
    RetryPolicy,
    base=st.floats(0.001, 10.0),
    factor=st.floats(1.0, 4.0),
    max_backoff=st.floats(0.0, 120.0),
    max_retry_after=st.floats(0.0, 600.0),
    rng=st.integers(0, 2**32).map(random.Random),
)


@settings(PROPERTY, max_examples=200)
@given(policy=policies, attempt=st.integers(1, 100_000), header=header_values)
def test_delay_is_within_the_clamp(policy: RetryPolicy, attempt: int, header: str | None) -> None:
    retry_after = parse_retry_after(header)
    delay = policy.delay(attempt, retry_after)
    if retry_after is None:
        assert 0.0 <= delay <= policy.max_backoff
    else:
        assert delay == min(retry_after, policy.max_retry_after)
        assert 0.0 <= delay <= policy.max_retry_after


def test_delay_for_a_very_late_attempt() -> None:
    """Regression (found by this suite, fixed in d13b337): base * factor ** (attempt - 1)
    overflowed a float from attempt ~1025."""
    assert 0.0 <= RetryPolicy().delay(1100, None) <= 30.0
