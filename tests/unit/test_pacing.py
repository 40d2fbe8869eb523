"""The waits after a failure, backoff's wait generator, and the cap's bind. The budget's
rules run on both budgets in tests/budget/test_rules.py."""

from __future__ import annotations

import asyncio

import backoff
import pytest

from crowdtwist_plugin.errors import TransientError
from crowdtwist_plugin.pacing.rules import (
    DEFAULT_429_PAUSE,
    MAX_BURST,
    RetryPolicy,
    burst_for,
    retry_waits,
)
from crowdtwist_plugin.pacing.throttle import CAP_SLACK, Throttle
from tests.helpers.host import CeilingRandom
from tests.helpers.pacing import slot


def test_a_429_pauses_for_retry_after_capped_else_a_second() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    assert policy.pause_after_429(None) == DEFAULT_429_PAUSE == 1.0
    assert policy.pause_after_429(0.25) == 0.25
    assert policy.pause_after_429(600.0) == 5.0


def test_burst_is_small_and_at_least_one() -> None:
    assert burst_for(0.01) == 1
    assert burst_for(60.0) == 3
    assert burst_for(1e9) == MAX_BURST


def test_retry_waits_honour_retry_after_else_back_off_with_full_jitter() -> None:
    waits = retry_waits(RetryPolicy(base=1.0, max_backoff=5.0, rng=CeilingRandom()))
    waits.send(None)  # backoff primes the generator
    assert waits.send(TransientError("HTTP 503")) == 1.0
    assert waits.send(TransientError("HTTP 429", retry_after=7.0)) == 7.0
    assert waits.send(TransientError("HTTP 503")) == 4.0
    assert waits.send(TransientError("HTTP 503")) == 5.0  # capped
    assert waits.send(TransientError("HTTP 429", retry_after=600.0)) == 60.0  # clamped


async def test_backoff_sends_each_failure_to_the_wait_generator() -> None:
    """backoff drives the retries: max_tries from the policy, waits from retry_waits."""
    policy = RetryPolicy(max_tries=3, base=0.0)
    attempts: list[int] = []

    @backoff.on_exception(
        retry_waits, TransientError, max_tries=policy.max_tries, jitter=None, policy=policy
    )
    async def always_busy() -> None:
        attempts.append(len(attempts))
        raise TransientError("HTTP 429", retry_after=0.0)

    with pytest.raises(TransientError):
        await always_busy()
    assert attempts == [0, 1, 2]


async def test_the_cap_binds_after_an_idle_burst() -> None:
    """After idle time the schedule grants a burst and then its pace; the window log
    (asyncio-throttle) holds the next start until the burst's window has passed."""
    rate = 200.0
    throttle = Throttle(rate, max_in_flight=16)
    burst = burst_for(rate)
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def one() -> None:
        async with slot(throttle):
            starts.append(loop.time())

    await asyncio.gather(*(one() for _ in range(burst + 1)))
    window = CAP_SLACK * burst / rate
    # The schedule alone would start request burst+1 one spacing after the burst.
    assert starts[burst] - starts[0] >= window - 1e-3
    assert window > 1.5 / rate
