"""Redis down, killed mid-run, restarted or frozen: every call raises a retryable
BudgetStoreError naming the store (password redacted) within the connect timeout, never
a fallback; after a restart the next reservation works and recreates the state."""

from __future__ import annotations

import asyncio
import traceback

import pytest

from crowdtwist_plugin.errors import CrowdTwistError
from crowdtwist_plugin.pacing.redis_budget import BudgetStoreError, RedisBudget
from crowdtwist_plugin.redis_url import RedisURL
from tests.budget.conftest import RedisServer, _free_port

HANG_GUARD = 30.0  # seconds: only catches a call that never returns; not a measurement


def assert_clean(error: BudgetStoreError, server: RedisServer, *, retryable: bool = True) -> None:
    """Retryable (or not), names the store with the password redacted, chains nothing."""
    assert isinstance(error, CrowdTwistError)
    assert error.retryable is retryable
    text = "".join(traceback.format_exception(error)) + repr(error) + str(error.args)
    assert server.password is not None
    assert server.password not in text
    assert RedisURL.parse(server.url).redacted in str(error)
    assert "shared rate budget store" in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None


async def raises_store_error(call: asyncio.Future[object] | object) -> BudgetStoreError:
    with pytest.raises(BudgetStoreError) as caught:
        async with asyncio.timeout(HANG_GUARD):
            await call  # type: ignore[misc]
    return caught.value


async def test_killed_mid_run_then_restarted(private_redis: RedisServer, namespace: str) -> None:
    # One start per 100 s: a second reservation waits, however slowly the test runs.
    async with RedisBudget.connect(
        private_redis.url, namespace=namespace, rate=0.01, burst=1, connect_timeout=2.0
    ) as budget:
        assert (await budget.reserve()).wait == 0.0
        assert (await budget.reserve()).wait > 0.0

        private_redis.kill()
        for _ in range(2):  # the stale connection, then a refused new one
            assert_clean(await raises_store_error(budget.reserve()), private_redis)
        assert_clean(await raises_store_error(budget.penalise(1.0, 0.0)), private_redis)

        private_redis.start()
        # The state went with the old server: the next reservation recreates it.
        assert (await budget.reserve()).wait == 0.0
        with private_redis.client() as client:
            assert client.exists(budget.key)
            assert client.pttl(budget.key) > 0
        assert (await budget.reserve()).wait > 0.0


async def test_restart_between_calls_is_invisible(
    private_redis: RedisServer, namespace: str
) -> None:
    """A pooled connection that a restart closed is retried once on a new one, and the
    script is loaded again (EVALSHA answers NOSCRIPT on the new server)."""
    async with RedisBudget.connect(
        private_redis.url, namespace=namespace, rate=5.0, burst=1
    ) as budget:
        await budget.reserve()
        private_redis.restart()
        assert (await budget.reserve()).wait == 0.0  # fresh state on the new server
        with private_redis.client() as client:
            assert client.info("commandstats")["cmdstat_script|load"]["calls"] == 1


async def test_frozen_ats_out(private_redis: RedisServer, namespace: str) -> None:
    timeout = 0.3
    async with RedisBudget.connect(
        private_redis.url, namespace=namespace, rate=5.0, burst=1, connect_timeout=timeout
    ) as budget:
        await budget.reserve()
        loop = asyncio.get_running_loop()
        private_redis.freeze()
        try:
            began = loop.time()
            error = await raises_store_error(budget.reserve())
            took = loop.time() - began
        finally:
            private_redis.thaw()
        assert_clean(error, private_redis)
        assert f"did not answer within {timeout:g} s" in str(error)
        assert took >= timeout - 0.01  # it did wait for Redis, up to the connect timeout
        assert (await budget.reserve()).wait >= 0.0  # usable again once Redis answers


async def test_nothing_listening(tmp_path: object, namespace: str) -> None:
    server = RedisServer.__new__(RedisServer)
    server.password = "pw-canary-nobody-listens"
    server.port = _free_port()
    async with RedisBudget.connect(
        server.url, namespace=namespace, rate=5.0, burst=1, connect_timeout=1.0
    ) as budget:
        assert_clean(await raises_store_error(budget.reserve()), server)


async def test_wrong_password_is_not_retryable(private_redis: RedisServer, namespace: str) -> None:
    wrong = RedisServer.__new__(RedisServer)
    wrong.port = private_redis.port
    wrong.password = "pw-canary-wrong"
    async with RedisBudget.connect(wrong.url, namespace=namespace, rate=5.0, burst=1) as budget:
        error = await raises_store_error(budget.reserve())
    assert_clean(error, wrong, retryable=False)
    assert "credentials" in str(error)
