"""The throttle's rules on a virtual clock, backoff's wait generator, and the cap's bind."""

from __future__ import annotations

import asyncio

import backoff
import pytest

from crowdtwist_plugin.errors import TransientError
from crowdtwist_plugin.pacing import (
    CEILING_CREEP_PER_SECOND,
    CEILING_QUIET,
    CUT_COOLDOWN,
    DECREASE,
    MAX_BURST,
    MIN_RATE_FRACTION,
    RECOVERY_PER_SECOND,
    AdaptiveRate,
    Schedule,
    burst_for,
)
from crowdtwist_plugin.retry import RetryPolicy, retry_waits
from crowdtwist_plugin.throttle import CAP_SLACK, Throttle
from tests.helpers.host import CeilingRandom

TARGET = 100.0


def rate_after_429(*, saturated: bool = False, accepted_per_second: int = 0) -> AdaptiveRate:
    rules = AdaptiveRate(TARGET, 0.75, started=0.0)
    for index in range(accepted_per_second * 2):  # two seconds of accepted answers
        rules.accepted(index / accepted_per_second)
    rules.throttled_by_service(2.0, 1.5, saturated=saturated)
    return rules


def test_a_429_halves_the_rate_and_pauses_everyone() -> None:
    rules = rate_after_429()
    assert rules.rate == TARGET * DECREASE
    assert rules.pause_left(2.0) == 1.5
    assert rules.pause_left(3.0) == 0.5
    assert rules.pause_left(4.0) == 0.0
    assert rules.throttled == 1


def test_429s_of_one_episode_halve_once() -> None:
    rules = rate_after_429()
    rules.throttled_by_service(2.0 + CUT_COOLDOWN / 2, 1.0, saturated=False)
    assert rules.rate == TARGET * DECREASE
    assert rules.throttled == 2
    rules.throttled_by_service(2.0 + CUT_COOLDOWN * 2, 1.0, saturated=False)
    assert rules.rate == TARGET * DECREASE**2


def test_the_rate_never_falls_below_its_floor() -> None:
    rules = AdaptiveRate(TARGET, 0.75, started=0.0)
    for episode in range(20):
        rules.throttled_by_service(episode * CUT_COOLDOWN * 2, 0.0, saturated=False)
    assert rules.rate == TARGET * MIN_RATE_FRACTION


def test_recovery_is_additive_up_to_the_target() -> None:
    rules = rate_after_429()
    rules.recover(3.0)
    assert rules.rate == pytest.approx(TARGET * (DECREASE + RECOVERY_PER_SECOND))
    rules.recover(3.0 + 100.0)
    assert rules.rate == TARGET


def test_a_saturated_429_sets_a_ceiling_from_what_was_accepted() -> None:
    rules = rate_after_429(saturated=True, accepted_per_second=40)
    ceiling = 40 * 0.75
    assert rules.ceiling == pytest.approx(ceiling)
    rules.recover(2.0 + CEILING_QUIET)
    assert rules.rate == pytest.approx(ceiling)  # recovery stops at the ceiling...
    rules.recover(2.0 + CEILING_QUIET + 10.0)
    assert rules.ceiling == pytest.approx(ceiling + TARGET * CEILING_CREEP_PER_SECOND * 10)
    rules.recover(2.0 + CEILING_QUIET + 1000.0)
    assert rules.ceiling == TARGET  # ...which creeps back once it has been quiet
    rules.recover(2.0 + CEILING_QUIET + 2000.0)
    assert rules.rate == TARGET


def test_light_traffic_429_keeps_the_ceiling() -> None:
    rules = rate_after_429(saturated=False, accepted_per_second=40)
    assert rules.ceiling == TARGET


def test_schedule_spaces_starts_and_saves_at_most_a_burst() -> None:
    schedule = Schedule()
    burst = 3
    waits = [schedule.reserve(100.0, 10.0, burst) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])
    # After a long idle spell the credit is a burst again, never more.
    waits = [schedule.reserve(1000.0, 10.0, burst) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1])


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
        async with throttle.slot():
            starts.append(loop.time())

    await asyncio.gather(*(one() for _ in range(burst + 1)))
    window = CAP_SLACK * burst / rate
    # The schedule alone would start request burst+1 one spacing after the burst.
    assert starts[burst] - starts[0] >= window - 1e-3
    assert window > 1.5 / rate
