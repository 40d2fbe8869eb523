"""A Redis server holding anything under the keys earlier versions read proven readings
from (``crowdtwist-readings:*``, here claiming ``everything`` and ``all`` with timestamps in
the future) changes no report: nothing is read from it but the budget."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from tests.budget.conftest import RedisServer
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, CAROL

REDEMPTIONS = "GET /v2.2/users/{user_id}/redemption_history"
MEMBER_SEARCH = "POST /v2/members"
POISON = [
    json.dumps({"value": "everything", "at": "2999-01-01T00:00:00+00:00", "evidence": "x"}),
    json.dumps({"value": "all", "at": "2999-01-01T00:00:00+00:00", "evidence": "x"}),
    "everything",
    "\x00garbage",
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with SandboxThread(SandboxConfig()) as running:  # last_365_days, inactive_only
        yield running


def old_fingerprint(connection: dict[str, Any]) -> str:
    """The key earlier versions kept a connection's readings under."""
    parts = ("crowdtwist-readings/1", connection["api_key"], *_origins(connection))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _origins(connection: dict[str, Any]) -> tuple[str, str]:
    return connection["api_base_url"].rstrip("/"), connection["pos_base_url"].rstrip("/")


def access(connection: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    host = Host()
    try:
        ids = {"email": [ALICE.email, CAROL.email]}
        report = asyncio.run(host.access(connection, ids))
    finally:
        host.close()
    report.pop("stats", None)
    return report, host.last_stats


def test_a_poisoned_readings_hash_changes_no_report(
    redis_server: RedisServer, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox, rate_limit_redis_url=redis_server.url)
    truth, clean = access(connection)
    with redis_server.client() as redis:
        for key in (f"crowdtwist-readings:{old_fingerprint(connection)}", "crowdtwist-readings:x"):
            for value in POISON:
                for field in ("redemption_history_undated", "member_search_is_active_0"):
                    redis.hset(key, field, value)
    report, stats = access(connection)
    assert report == truth
    for endpoint in (REDEMPTIONS, MEMBER_SEARCH):
        assert stats["by_endpoint"][endpoint] == clean["by_endpoint"][endpoint]
    assert {use["used"] for use in stats["readings"].values()} == {"unknown"}
