"""What only the Lua script must get right, on a clock the test sets (the script's
test-only clock argument replaces Redis TIME): sub-second waits through Redis's number
handling, and the state's expiry. The rules themselves are in test_rules.py, run on both
budgets."""

from __future__ import annotations

import pytest

from crowdtwist_plugin.pacing.redis_budget import IDLE_SECONDS, RedisBudget
from tests.budget.conftest import RedisServer

START = 1_795_000_000.0  # a Redis TIME of today's size, so the float precision is real
EXACT = 1e-6  # seconds: what doubles of that size keep after a few additions


async def test_sub_second_waits_survive_redis(redis_server: RedisServer, namespace: str) -> None:
    """Redis truncates Lua numbers to integers; the script returns strings."""
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=1000.0, burst=1
    ) as budget:
        waits = [(await budget._run("reserve", clock=START)).wait for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.001, 0.002, 0.003], abs=EXACT)


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
