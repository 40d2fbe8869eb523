"""The leaky bucket: its accuracy bound (fake clock and real loopback) and its 429s."""

from __future__ import annotations

import asyncio
import time

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdtwist_sandbox import Sandbox
from crowdtwist_sandbox.limiter import LeakyBucket, RateLimiter

from .sandbox_client import FAST, Client

# Float arithmetic on the bucket level may be off by far less than this.
EPSILON = 1e-9
PROFILE = "/v2/users/464565755"


def admitted_times(rate: float, capacity: int, gaps: list[float]) -> list[float]:
    bucket = LeakyBucket(rate, capacity)
    now, admitted = 0.0, []
    for gap in gaps:
        now += gap
        if bucket.admit(now):
            admitted.append(now)
    return admitted


def assert_bound(times: list[float], rate: float, capacity: int) -> None:
    """In every window [times[i], times[j]]: admitted <= rate * length + capacity."""
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            assert j - i + 1 <= rate * (times[j] - start) + capacity + EPSILON


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(0.1, 500),
    capacity=st.integers(1, 25),
    gaps=st.lists(
        st.one_of(st.just(0.0), st.floats(0, 0.2), st.floats(0, 3)), min_size=1, max_size=200
    ),
)
def test_bucket_never_admits_more_than_the_bound(
    rate: float, capacity: int, gaps: list[float]
) -> None:
    assert_bound(admitted_times(rate, capacity, gaps), rate, capacity)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(0.1, 500),
    capacity=st.integers(1, 25),
    gaps=st.lists(st.floats(0, 1), min_size=1, max_size=100),
)
def test_bucket_is_not_stricter_than_needed(rate: float, capacity: int, gaps: list[float]) -> None:
    """A burst of ``capacity`` is admitted, and so is anything after the bucket drained."""
    assert admitted_times(rate, capacity, [0.0] * capacity) == [0.0] * capacity
    drain = capacity / rate * (1 + EPSILON)
    bucket, now = LeakyBucket(rate, capacity), 0.0
    for gap in gaps:
        now += gap + drain
        assert bucket.admit(now)


def test_limiter_is_per_key_and_off_without_rate() -> None:
    limiter = RateLimiter(rate=1.0, capacity=1)
    assert limiter.admit("key-a", 0.0)
    assert not limiter.admit("key-a", 0.1)
    assert limiter.admit("key-b", 0.1)
    assert "key-a" not in repr(limiter)
    limiter.update(None)
    assert all(limiter.admit("key-a", 0.1) for _ in range(100))


@pytest.mark.parametrize(
    "sandbox",
    [attrs.evolve(FAST, rate_limit_per_second=20.0, bucket_capacity=5, retry_after="2")],
    indirect=True,
)
async def test_bound_holds_over_loopback(client: Client, sandbox: Sandbox) -> None:
    started = time.monotonic()
    replies = []
    for _ in range(4):
        replies += await asyncio.gather(*(client.get(PROFILE) for _ in range(15)))
        await asyncio.sleep(0.15)
    elapsed = time.monotonic() - started
    ok = [r for r in replies if r.status == 200]
    limited = [r for r in replies if r.status == 429]
    assert len(ok) + len(limited) == len(replies)
    assert len(ok) <= 20.0 * elapsed + 5
    assert len(ok) >= 5 + 5  # the first burst fills the bucket; each pause drains part of it
    assert limited[0].json() == {
        "error": "too_many_requests",
        "message": limited[0].json()["message"],
    }
    assert limited[0].headers["Retry-After"] == "2"
    server_times = [r.time for r in sandbox.log if r.status == 200]
    assert_bound(sorted(server_times), 20.0, 5)


async def test_bucket_is_shared_by_both_origins_and_changes_at_once(client: Client) -> None:
    client.sandbox.set_rate_limit(0.001, capacity=3, retry_after=None)
    purchases = "/users/A4364BX/purchases"
    statuses = [
        (await client.get(PROFILE)).status,
        (await client.get(purchases, origin="pos", params={"id_type": "third_party_id"})).status,
        (await client.get(PROFILE, key="header")).status,
        (await client.get(purchases, origin="pos", params={"id_type": "third_party_id"})).status,
    ]
    assert statuses == [200, 200, 200, 429]
    limited = await client.get(PROFILE)
    assert limited.status == 429
    assert "Retry-After" not in limited.headers
    assert (await client.get(PROFILE, api_key="other-key")).status == 403  # its own bucket
    client.sandbox.set_rate_limit(None)
    assert (await client.get(PROFILE)).status == 200
