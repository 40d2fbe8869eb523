"""The fleet's store of proven readings: shared through Redis with an expiry, and a Redis
that does not answer costs requests, never the call."""

from __future__ import annotations

import uuid

import redis.asyncio

from crowdtwist_plugin.knowledge import FLEET_TTL, FleetKnowledge, Knowledge, ProgramReadings
from crowdtwist_plugin.pacing.redis_budget import RedisBudget
from crowdtwist_plugin.readings import SEARCH, UNDATED
from tests.budget.conftest import RedisServer, fresh_namespace

EVIDENCE = "undated answer held a 2024-01-05 redemption"


async def readings_on(url: str, connection: str, knowledge: Knowledge) -> ProgramReadings:
    budget = RedisBudget.connect(url, namespace=fresh_namespace(), rate=10.0, connect_timeout=1.0)
    try:
        readings = ProgramReadings({}, connection, knowledge, FleetKnowledge(budget, connection))
        await readings.load()
        await readings.proved(UNDATED, "everything", EVIDENCE)
        return readings
    finally:
        await budget.aclose()


async def test_a_proof_is_stored_with_an_expiry_and_read_by_another_process_memory(
    redis_server: RedisServer,
) -> None:
    connection = uuid.uuid4().hex
    await readings_on(redis_server.url, connection, Knowledge())
    client = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        key = f"crowdtwist-readings:{connection}"
        assert 0 < await client.ttl(key) <= FLEET_TTL
        await client.hset(key, SEARCH, b"not json")  # a damaged field is ignored
    finally:
        await client.aclose()
    budget = RedisBudget.connect(redis_server.url, namespace=fresh_namespace(), rate=10.0)
    try:
        fresh = ProgramReadings({}, connection, Knowledge(), FleetKnowledge(budget, connection))
        await fresh.load()
    finally:
        await budget.aclose()
    assert fresh.value(UNDATED) == "everything"
    assert fresh.uses[UNDATED].learned is not None
    assert fresh.uses[UNDATED].learned.evidence == EVIDENCE
    assert fresh.value(SEARCH) == "unknown"


async def test_a_redis_that_does_not_answer_leaves_the_readings_to_this_process() -> None:
    knowledge = Knowledge()
    readings = await readings_on("redis://127.0.0.1:1/0", "c", knowledge)
    assert readings.value(UNDATED) == "everything"
    learned = knowledge.get("c", UNDATED)
    assert learned is not None and learned.evidence == EVIDENCE
