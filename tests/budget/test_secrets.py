"""Secrets stay secret: Redis key names and values hold no API key, and the URL's password
shows nowhere (repr, str, errors, chained exceptions), valid URL or not."""

from __future__ import annotations

import asyncio
import re
import sys
import traceback
import uuid
from collections.abc import Iterator

import pytest

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_plugin.pacing.redis_budget import KEY_PREFIX, RedisBudget
from crowdtwist_plugin.redis_url import RedisURL
from crowdtwist_plugin.secret import Secret
from crowdtwist_plugin.settings import ConnectionSettings, connection_fingerprint
from tests.budget.conftest import RedisServer

CANARY_KEY = "ctkey-CANARY-7f3e9a1b"
CANARY_PASSWORD = "pw-CANARY-5d2c8e44"


def everything_said(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(error.args)


async def test_redis_keys_hold_no_api_key_and_expire(redis_server: RedisServer) -> None:
    namespace = connection_fingerprint(Secret(CANARY_KEY), "https://api.test", "https://pos.test")
    assert CANARY_KEY not in namespace
    async with RedisBudget.connect(
        redis_server.url, namespace=namespace, rate=10.0, burst=2
    ) as budget:
        await budget.reserve()
        await budget.penalise(0.5, 0.0)
        await budget.reserve()
        assert re.fullmatch(re.escape(KEY_PREFIX) + r"\{[0-9a-f]{64}\}", budget.key)
    with redis_server.client() as client:
        keys = list(client.scan_iter(count=1000))
        assert budget.key.encode() in keys
        for key in keys:
            assert CANARY_KEY.lower().encode() not in key.lower()
            if key.startswith(KEY_PREFIX.encode()):
                assert client.pttl(key) > 0  # every budget state expires when idle
        for field, value in client.hgetall(budget.key).items():
            assert CANARY_KEY.encode() not in field + value


def test_namespace_depends_on_key_and_origins() -> None:
    names = {
        connection_fingerprint(Secret("key-a"), "https://api.test", "https://pos.test"),
        connection_fingerprint(Secret("key-b"), "https://api.test", "https://pos.test"),
        connection_fingerprint(Secret("key-a"), "https://other.test", "https://pos.test"),
        connection_fingerprint(Secret("key-a"), "https://api.test", "https://other.test"),
    }
    assert len(names) == 4
    assert all(re.fullmatch(r"[0-9a-f]{64}", name) for name in names)


def test_the_namespace_is_the_one_earlier_versions_used() -> None:
    """Workers of two versions sharing a key during an upgrade share one budget."""
    settings = ConnectionSettings.from_mapping(
        {"api_key": "key-a", "api_subdomain": "api1", "pos_subdomain": "pos1"}
    )
    # sha256 of "crowdtwist-rate-budget/1", the key and both origins, a line each
    assert settings.fingerprint == (
        "da9faefed4fcf84023d303be85928d0e5f8ad2e454a3951b0352e86400ff3b2a"
    )


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"redis://:{CANARY_PASSWORD}@cache.internal:6380/2", "redis://:***@cache.internal:6380/2"),
        (f"redis://ct:{CANARY_PASSWORD}@10.0.0.5", "redis://ct:***@10.0.0.5:6379/0"),
        (f"rediss://:{CANARY_PASSWORD}@[::1]:7000/", "rediss://:***@[::1]:7000/0"),
        (f"redis://{CANARY_PASSWORD}@cache", "redis://***@cache:6379/0"),  # a lone userinfo
        (
            f"unix:///run/redis.sock?db=3&password={CANARY_PASSWORD}",
            "unix:///run/redis.sock?db=3&password=***",
        ),
        (f"unix://:{CANARY_PASSWORD}@/run/redis.sock", "unix://:***@/run/redis.sock"),
        ("redis://localhost", "redis://localhost:6379/0"),
    ],
)
def test_url_password_never_shows(text: str, redacted: str) -> None:
    url = RedisURL.parse(text)
    assert url.redacted == redacted
    for shown in (repr(url), str(url), f"{url}", f"{url!r}", repr([url]), repr({"u": url})):
        assert CANARY_PASSWORD not in shown
    assert url.reveal() == text
    assert url == RedisURL.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        f"http://:{CANARY_PASSWORD}@cache:6379/0",
        f"{CANARY_PASSWORD}",
        f"ct:{CANARY_PASSWORD}@cache:6379",  # no scheme: urlsplit reads "ct" as one
        f"redis://:{CANARY_PASSWORD}@cache:port/0",
        f"redis://:{CANARY_PASSWORD}@cache:99999/0",
        f"redis://:{CANARY_PASSWORD}@cache/not-a-db",
        f"redis://:{CANARY_PASSWORD}@/0",
        f"redis://:{CANARY_PASSWORD[:4]}#{CANARY_PASSWORD[4:]}@cache/0",
        f"redis://:{CANARY_PASSWORD[:4]}/{CANARY_PASSWORD[4:]}@cache/0",
        f"redis://[::1:{CANARY_PASSWORD}@cache/0",
        f"redis://cache/0?password={CANARY_PASSWORD}&socket_timeout=1",
        f"redis://cache/0?password={CANARY_PASSWORD}&password=x",
        f"redis://cache/0?db=x{CANARY_PASSWORD}",
        f"unix://:{CANARY_PASSWORD}@relative.sock",
        f"unix://:{CANARY_PASSWORD[:4]}/{CANARY_PASSWORD[4:]}@/run/redis.sock",
    ],
)
def test_bad_urls_are_refused_without_echo(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RedisURL.parse(text)
    error = caught.value
    assert "rate_limit_redis_url" in str(error)
    assert CANARY_PASSWORD not in everything_said(error)
    assert CANARY_PASSWORD[4:] not in everything_said(error)
    assert error.__context__ is None
    assert error.__cause__ is None


@pytest.fixture
def canary_user(redis_server: RedisServer) -> Iterator[str]:
    """An ACL user whose password is the canary; yields its URL."""
    user = f"ct-{uuid.uuid4().hex[:8]}"
    with redis_server.client() as client:
        client.acl_setuser(
            user,
            enabled=True,
            passwords=[f"+{CANARY_PASSWORD}"],
            keys=[f"{KEY_PREFIX}*"],
            commands=["+@all"],
        )
    try:
        yield f"redis://{user}:{CANARY_PASSWORD}@127.0.0.1:{redis_server.port}/0"
    finally:
        with redis_server.client() as client:
            client.acl_deluser(user)


async def test_budget_with_a_password_shows_none(canary_user: str, namespace: str) -> None:
    async with RedisBudget.connect(canary_user, namespace=namespace, rate=5.0, burst=1) as budget:
        assert (await budget.reserve()).wait == 0.0
        assert CANARY_PASSWORD not in repr(budget)
        assert CANARY_PASSWORD not in str(budget)
        assert CANARY_PASSWORD not in repr(vars(budget))  # through RedisURL's repr


def test_without_the_redis_extra(monkeypatch: pytest.MonkeyPatch, namespace: str) -> None:
    for name in [m for m in sys.modules if m == "redis" or m.startswith("redis.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)

    async def connect() -> None:
        RedisBudget.connect(
            f"redis://:{CANARY_PASSWORD}@127.0.0.1:1/0", namespace=namespace, rate=1.0, burst=1
        )

    with pytest.raises(ConfigurationError) as caught:
        asyncio.run(connect())
    assert "install crowdtwist-privacy-plugin[redis]" in str(caught.value)
    assert CANARY_PASSWORD not in everything_said(caught.value)
    assert caught.value.__context__ is None


async def test_namespace_must_be_a_hash(redis_server: RedisServer) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisBudget.connect(redis_server.url, namespace=CANARY_KEY, rate=1.0, burst=1)
