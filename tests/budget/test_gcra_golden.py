"""Exact waits from the Lua script, on a clock the test sets (the script's test-only clock
argument replaces Redis TIME): redis-cell's ``it_rate_limits`` table idea, then the 429
policy step by step."""

from __future__ import annotations

import pytest

from crowdtwist_plugin.budget import CUT_COOLDOWN, RECOVERY_PER_SECOND, RedisBudget
from crowdtwist_plugin.budget.redis_budget import IDLE_SECONDS
from tests.budget.conftest import RedisServer

START = 1_795_000_000.0  # a Redis TIME of today's size, so the float precision is real
EXACT = 1e-6  # seconds: what doubles of that size keep after a few additions

# redis-cell's table: a burst of 5 at 1 per second, requests at fixed offsets. A reservation
# is never refused here, it waits; so a request past the burst also takes its slot.
# (offset from START, expected wait)
CELL_TABLE = [
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),  # the burst: five at once
    (0.0, 1.0),  # the sixth waits one interval
    (3.0, 0.0),  # its slot (2.0) is past: credit left from the quiet second
    (3.1, 0.0),
    (3.1, 0.9),  # no credit left: next slot at 4.0
    (4.0, 1.0),  # FIFO: behind the one waiting for 4.0
    (8.0, 0.0),
    (9.5, 0.0),
    (9.5, 0.0),
    (9.5, 0.0),
    (9.5, 0.5),  # slots 7, 8, 9 were credit; 10.0 is not yet
    (30.0, 0.0),  # idle long enough: the full burst again
    (30.0, 0.0),
    (30.0, 0.0),
    (30.0, 0.0),
    (30.0, 0.0),
    (30.0, 1.0),
]


async def test_redis_cell_table(redis_server: RedisServer, namespace: str) -> None:
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=1.0, burst=5
    ) as budget:
        for step, (offset, expected) in enumerate(CELL_TABLE):
            got = await budget._run("reserve", clock=START + offset)
            assert got.wait == pytest.approx(expected, abs=EXACT), f"step {step}"
            assert got.redis_time == START + offset
            assert got.rate == 1.0


async def test_burst_one_spaces_every_start(redis_server: RedisServer, namespace: str) -> None:
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=4.0, burst=1
    ) as budget:
        waits = [(await budget._run("reserve", clock=START)).wait for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0], abs=EXACT)


async def test_sub_second_waits_survive_redis(redis_server: RedisServer, namespace: str) -> None:
    """Redis truncates Lua numbers to integers; the script returns strings."""
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=1000.0, burst=1
    ) as budget:
        waits = [(await budget._run("reserve", clock=START)).wait for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.001, 0.002, 0.003], abs=EXACT)


async def test_429_policy_step_by_step(redis_server: RedisServer, namespace: str) -> None:
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=10.0, burst=2
    ) as budget:
        first = [await budget._run("reserve", clock=START) for _ in range(2)]
        assert [r.wait for r in first] == [0.0, 0.0]

        # A 429: everybody pauses 2 s; the rate halves.
        cut = await budget._run("penalise", pause=2.0, clock=START + 0.05)
        assert cut.wait == pytest.approx(2.0, abs=EXACT)
        assert cut.rate == pytest.approx(5.0)

        # More 429s of the same episode extend the pause but do not cut again; recovery
        # (0.05 x target per second) has run for 0.45 s.
        same = await budget._run("penalise", pause=3.0, clock=START + 0.5)
        assert same.wait == pytest.approx(3.0, abs=EXACT)
        assert same.rate == pytest.approx(5.0 + 10 * RECOVERY_PER_SECOND * 0.45)

        # CUT_COOLDOWN after the cut a 429 is a new episode: recover, then halve again.
        # Its shorter pause does not shorten the running one (until START + 3.5).
        again = await budget._run("penalise", pause=0.5, clock=START + 0.05 + CUT_COOLDOWN)
        assert again.wait == pytest.approx(2.45, abs=EXACT)
        assert again.rate == pytest.approx((5.0 + 10 * RECOVERY_PER_SECOND * 1.0) * 0.5)

        # Starts resume at the pause's end, one interval apart: no thundering herd, and no
        # burst credit spent at the end of a pause.
        clock = START + 1.1
        after = [await budget._run("reserve", clock=clock) for _ in range(3)]
        rate = 2.75 + 10 * RECOVERY_PER_SECOND * 0.05
        assert [r.rate for r in after] == pytest.approx([rate] * 3)
        assert [clock + r.wait for r in after] == pytest.approx(
            [START + 3.5, START + 3.5 + 1 / rate, START + 3.5 + 2 / rate], abs=EXACT
        )


async def test_recovery_is_additive_and_capped(redis_server: RedisServer, namespace: str) -> None:
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=10.0, burst=1
    ) as budget:
        await budget._run("penalise", pause=0.0, clock=START)
        four_s = await budget._run("reserve", clock=START + 4.0)
        assert four_s.rate == pytest.approx(5.0 + 10 * RECOVERY_PER_SECOND * 4.0)
        later = await budget._run("reserve", clock=START + 30.0)
        assert later.rate == 10.0


async def test_state_expires_when_idle(redis_server: RedisServer, namespace: str) -> None:
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=10.0, burst=1
    ) as budget:
        for _ in range(11):  # the last one waits 1 s: the state must outlive that
            await budget._run("reserve", clock=START)
        with redis_server.client() as client:
            ttl_ms = client.pttl(budget.key)
            assert 0 < ttl_ms <= (IDLE_SECONDS + 1.1) * 1000
            assert ttl_ms > (IDLE_SECONDS - 30) * 1000  # slack: real time passes meanwhile

            await budget._run("penalise", pause=600.0, clock=START)
            assert client.pttl(budget.key) > 600_000  # a long pause is kept until it ends
