"""One Redis client per event loop and URL, closed with its last budget; exactly one
EVALSHA per reservation and per 429."""

from __future__ import annotations

import asyncio

import pytest

from crowdtwist_plugin.pacing import Budget
from crowdtwist_plugin.pacing.redis_budget import RedisBudget, _connections
from crowdtwist_plugin.pacing.rules import Reservation
from tests.budget.conftest import RedisServer, fresh_namespace


async def test_budgets_of_one_loop_share_a_client(redis_server: RedisServer) -> None:
    loop = asyncio.get_running_loop()
    a = RedisBudget.connect(redis_server.url, namespace=fresh_namespace(), rate=5.0, burst=1)
    b = RedisBudget.connect(redis_server.url, namespace=fresh_namespace(), rate=5.0, burst=1)
    assert isinstance(a, Budget)
    assert a._connection is b._connection
    assert len(_connections[loop]) == 1

    await a.aclose()
    await a.aclose()  # idempotent
    assert (await b.reserve()).wait == 0.0  # the shared client stays open for b
    with pytest.raises(RuntimeError, match="closed"):
        await a.reserve()

    await b.aclose()
    assert _connections[loop] == {}
    c = RedisBudget.connect(redis_server.url, namespace=fresh_namespace(), rate=5.0, burst=1)
    try:
        assert c._connection is not b._connection  # a new client after the last closed
        assert (await c.reserve()).wait == 0.0
    finally:
        await c.aclose()


def test_each_event_loop_gets_its_own_client(redis_server: RedisServer) -> None:
    namespace = fresh_namespace()
    seen = []

    async def one_loop() -> Reservation:
        async with RedisBudget.connect(
            redis_server.url, namespace=namespace, rate=0.01, burst=1
        ) as budget:
            seen.append(budget._connection)
            return await budget.reserve()

    first, second = asyncio.run(one_loop()), asyncio.run(one_loop())
    assert seen[0] is not seen[1]
    assert first.wait == 0.0
    assert second.wait > 0.0  # the same budget in Redis, reached from the second loop


async def test_one_evalsha_per_call(redis_server: RedisServer, namespace: str) -> None:
    reserves, penalties = 25, 3
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=1000.0, burst=4
    ) as budget:
        await budget.reserve()  # connects and loads the script
        with redis_server.client() as client:
            client.config_resetstat()
            for _ in range(reserves):
                await budget.reserve()
            for _ in range(penalties):
                await budget.penalise(0.0, 0.0)
            stats = client.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): s["calls"] for name, s in stats.items()}
    calls.pop("info", None)
    calls.pop("config|resetstat")
    n = reserves + penalties
    # EVALSHA is the only command a client sent; the script's own commands run inside
    # Redis (commandstats counts them too) and cost no round trip.
    assert calls == {"evalsha": n, "time": n, "hmget": n, "hset": n, "pexpire": n}
