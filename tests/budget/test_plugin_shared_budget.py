"""The plugin with ``rate_limit_redis_url``: two workers (two plugin instances, each with
its own throttle, as two processes have) share one budget and one 429 policy in Redis."""

from __future__ import annotations

from typing import Any

import pytest

from crowdtwist_plugin.errors import TransientError
from crowdtwist_plugin.pacing.redis_budget import BudgetStoreError, RedisBudget
from crowdtwist_plugin.pacing.rules import RetryPolicy
from crowdtwist_plugin.secret import Secret
from crowdtwist_plugin.settings import connection_fingerprint
from crowdtwist_sandbox import Sandbox, SandboxConfig
from tests.budget.conftest import RedisServer
from tests.helpers.host import FAST_RATE, Host, connection_for
from tests.helpers.people import ALICE_COUNTS, ALICE_IDS, CATEGORIES
from tests.helpers.secrets import exception_texts


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(deletion_step_seconds=1000.0)


def shared(sandbox: Sandbox, redis_url: str, **extra: Any) -> dict[str, Any]:
    return connection_for(sandbox, rate_limit_redis_url=redis_url, **extra)


async def test_access_through_the_shared_budget_is_complete(
    host: Host, sandbox: Sandbox, private_redis: RedisServer
) -> None:
    report = await host.access(shared(sandbox, private_redis.url), ALICE_IDS)
    (subject,) = report["subjects"]
    assert {c: len(subject["data"][c]) for c in CATEGORIES} == ALICE_COUNTS
    # One reservation per request start, all through Redis.
    stats = private_redis.client().info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] >= host.last_stats["requests"]


async def test_a_429_seen_by_one_worker_holds_back_the_other(
    host: Host, sandbox: Sandbox, private_redis: RedisServer
) -> None:
    connection = shared(sandbox, private_redis.url)
    sandbox.add_fault("rate_limit", endpoint="profile", retry_after="30", times=1)
    host.configure(retry=RetryPolicy(max_retry_after=60.0, max_time=0.0))
    with pytest.raises(TransientError, match="HTTP 429"):
        await host.access(connection, ALICE_IDS)
    # Another worker (another process: its own throttle) draws from the same budget; its
    # next start waits out the fleet-wide pause.
    other = RedisBudget.connect(
        private_redis.url,
        namespace=connection_fingerprint(
            Secret(connection["api_key"]), connection["api_base_url"], connection["pos_base_url"]
        ),
        rate=FAST_RATE * 0.75 / 60,
        burst=4,
    )
    try:
        assert (await other.reserve()).wait > 20.0
    finally:
        await other.aclose()


async def test_redis_down_is_a_retryable_error_and_nothing_is_sent(
    host: Host, sandbox: Sandbox, private_redis: RedisServer
) -> None:
    url = private_redis.url
    private_redis.kill()
    with pytest.raises(BudgetStoreError) as caught:
        await host.access(shared(sandbox, url), ALICE_IDS)
    assert caught.value.retryable is True
    assert "budget store" in str(caught.value)
    assert len(sandbox.log) == 0  # never sent unshared


async def test_the_redis_password_never_appears(
    host: Host, sandbox: Sandbox, private_redis: RedisServer
) -> None:
    url = private_redis.url.replace("redis://", "redis://:Pa55+w0rd%2F@")
    private_redis.kill()
    with pytest.raises(BudgetStoreError) as caught:
        await host.access(shared(sandbox, url), ALICE_IDS)
    for text in exception_texts(caught.value):
        assert "Pa55" not in text
