"""The budget's rules, one suite for both budgets: every case runs on this process's
``LocalBudget`` (virtual clock) and on the fleet's ``RedisBudget`` (the script's test-only
clock replaces Redis TIME), and both must give the same waits and rates.

First redis-cell's ``it_rate_limits`` table idea, then the 429 policy step by step:
pause, one cut per episode, the floor, additive recovery, the ceiling a saturated 429
sets and its creep back to the target.
"""

from __future__ import annotations

import pytest

from crowdtwist_plugin.pacing.rules import (
    CEILING_CREEP_PER_SECOND,
    CEILING_QUIET,
    DECREASE,
    MIN_RATE_FRACTION,
    RECOVERY_PER_SECOND,
)
from tests.budget.conftest import Driven

START = 1_795_000_000.0  # a Redis TIME of today's size, so the float precision is real
EXACT = 1e-6  # seconds: what doubles of that size keep after a few additions

# redis-cell's table: a burst of 5 at 1 per second, requests at fixed offsets. A reservation
# is never refused here, it waits; so a request past the burst also takes its slot.
# (offset from START, expected wait)
CELL_TABLE = [
    *[(0.0, 0.0)] * 5,  # the burst: five at once
    (0.0, 1.0),  # the sixth waits one interval
    (3.0, 0.0),  # its slot (2.0) is past: credit left from the quiet second
    (3.1, 0.0),
    (3.1, 0.9),  # no credit left: next slot at 4.0
    (4.0, 1.0),  # FIFO: behind the one waiting for 4.0
    (8.0, 0.0),
    *[(9.5, 0.0)] * 3,
    (9.5, 0.5),  # slots 7, 8, 9 were credit; 10.0 is not yet
    *[(30.0, 0.0)] * 5,  # idle long enough: the full burst again
    (30.0, 1.0),
]


async def test_redis_cell_table(driven: Driven) -> None:
    budget = driven.budget(1.0, burst=5)
    for step, (offset, expected) in enumerate(CELL_TABLE):
        wait, rate = await budget.reserve(START + offset)
        assert wait == pytest.approx(expected, abs=EXACT), f"step {step}"
        assert rate == 1.0


async def test_burst_one_spaces_every_start(driven: Driven) -> None:
    budget = driven.budget(4.0, burst=1)
    waits = [(await budget.reserve(START))[0] for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0], abs=EXACT)


async def test_starts_are_spaced_and_idle_time_saves_at_most_a_burst(driven: Driven) -> None:
    budget = driven.budget(10.0, burst=3)
    waits = [(await budget.reserve(START))[0] for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2], abs=EXACT)
    waits = [(await budget.reserve(START + 1000.0))[0] for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1], abs=EXACT)


async def test_429_policy_step_by_step(driven: Driven) -> None:
    budget = driven.budget(10.0, burst=2)
    assert [(await budget.reserve(START))[0] for _ in range(2)] == [0.0, 0.0]

    # A 429: everybody pauses 2 s; the rate halves.
    assert await budget.penalise(START + 0.05, 2.0) == pytest.approx((2.0, 5.0), abs=EXACT)

    # More 429s of the same episode (their requests started before the cut) extend the
    # pause but do not cut again; recovery (0.05 x target per second) has run for 0.45 s.
    wait, rate = await budget.penalise(START + 0.5, 3.0, started=START)
    assert wait == pytest.approx(3.0, abs=EXACT)
    assert rate == pytest.approx(5.0 + 10 * RECOVERY_PER_SECOND * 0.45)

    # A 429 of a request that started after the cut is a new episode: recover, then halve
    # again. Its shorter pause does not shorten the running one (until START + 3.5).
    wait, rate = await budget.penalise(START + 1.05, 0.5, started=START + 1.0)
    assert wait == pytest.approx(2.45, abs=EXACT)
    assert rate == pytest.approx((5.0 + 10 * RECOVERY_PER_SECOND * 1.0) * DECREASE)

    # Starts resume at the pause's end, one interval apart: no thundering herd, and no
    # burst credit spent at the end of a pause.
    clock = START + 1.1
    after = [await budget.reserve(clock) for _ in range(3)]
    rate = 2.75 + 10 * RECOVERY_PER_SECOND * 0.05
    assert [r for _, r in after] == pytest.approx([rate] * 3)
    assert [clock + w for w, _ in after] == pytest.approx(
        [START + 3.5, START + 3.5 + 1 / rate, START + 3.5 + 2 / rate], abs=EXACT
    )


async def test_429s_in_flight_at_a_cut_do_not_cut_again(driven: Driven) -> None:
    """However long after the cut their answers come, requests that started before it
    were sent at the old rate: only a request sent after the cut can prove the new one
    too fast."""
    budget = driven.budget(100.0)
    assert (await budget.penalise(START, 0.0, started=START - 0.1))[1] == 50.0
    assert (await budget.penalise(START + 5.0, 0.0, started=START - 0.01))[1] == pytest.approx(
        50.0 + 100.0 * RECOVERY_PER_SECOND * 5.0
    )
    cut_again = await budget.penalise(START + 5.5, 0.0, started=START + 5.4)
    assert cut_again[1] == pytest.approx((75.0 + 100.0 * RECOVERY_PER_SECOND * 0.5) * DECREASE)


async def test_recovery_is_additive_and_capped_at_the_target(driven: Driven) -> None:
    budget = driven.budget(10.0, burst=1)
    await budget.penalise(START, 0.0)
    assert (await budget.reserve(START + 4.0))[1] == pytest.approx(
        5.0 + 10 * RECOVERY_PER_SECOND * 4.0
    )
    assert (await budget.reserve(START + 30.0))[1] == 10.0


async def test_the_rate_never_falls_below_its_floor(driven: Driven) -> None:
    """Each 429 here comes from a clock further back (a failover to a server whose clock
    is behind): a new episode each time, with no time to recover."""
    budget = driven.budget(100.0)
    rates = [(await budget.penalise(START - 2.0 * i, 0.0))[1] for i in range(12)]
    assert rates[:3] == pytest.approx([50.0, 25.0, 12.5])
    assert rates[-1] == pytest.approx(100.0 * MIN_RATE_FRACTION)


async def test_a_saturated_429_sets_a_ceiling_that_creeps_back(driven: Driven) -> None:
    """Booked a start ahead, the budget was sending all it may: 75 % of that rate becomes
    the ceiling; recovery stops there until the ceiling creeps back after a quiet spell."""
    budget = driven.budget(100.0, utilization=0.75)
    for _ in range(20):
        await budget.reserve(START)
    assert (await budget.penalise(START, 0.0))[1] == pytest.approx(100.0 * DECREASE)
    quiet_over = START + CEILING_QUIET
    assert (await budget.reserve(quiet_over))[1] == pytest.approx(75.0)
    creep = 100.0 * CEILING_CREEP_PER_SECOND * 10
    assert (await budget.reserve(quiet_over + 10.0))[1] == pytest.approx(75.0 + creep)
    assert (await budget.reserve(quiet_over + 1000.0))[1] == pytest.approx(100.0)


async def test_a_429_after_light_traffic_halves_but_sets_no_ceiling(driven: Driven) -> None:
    """Not booked ahead: someone else shares the key, and halving is answer enough."""
    budget = driven.budget(100.0, utilization=0.75)
    await budget.reserve(START)
    assert (await budget.penalise(START + 0.5, 0.0))[1] == pytest.approx(50.0)
    assert (await budget.reserve(START + 10.5))[1] == pytest.approx(100.0)
