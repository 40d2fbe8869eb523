"""A reading proven by one worker process is used by another through Redis: the second
worker's first subject already skips the redemption year windows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from host_stub.sandbox import Sandbox, SandboxConfig, SandboxThread
from tests.budget.conftest import REPO, RedisServer
from tests.helpers.host import connection_for
from tests.helpers.people import ALICE, BOB

WORKER_DEADLINE = 120.0  # seconds (a hang guard, not a measurement)
REDEMPTIONS = "GET /v2.2/users/{user_id}/redemption_history"
UNDATED = "redemption_history_undated"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with SandboxThread(SandboxConfig(redemption_history_undated="everything")) as running:
        yield running


def worker(connection: dict[str, Any], email: str) -> dict[str, Any]:
    config = {"connection": connection, "identifiers": {"email": [email]}}
    done = subprocess.run(
        [sys.executable, "-m", "tests.budget.access_worker", json.dumps(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=WORKER_DEADLINE,
        check=True,
    )
    stats: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return stats


def test_a_reading_learned_by_one_worker_is_used_by_another(
    redis_server: RedisServer, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox, rate_limit_redis_url=redis_server.url)
    alone = worker(connection_for(sandbox), BOB.email)  # no Redis: nothing shared
    assert alone["readings"][UNDATED]["used"] == "unknown"
    windows = alone["by_endpoint"][REDEMPTIONS] - 1

    first = worker(connection, ALICE.email)
    assert first["readings"][UNDATED]["proved"]["value"] == "everything"
    second = worker(connection, BOB.email)
    used = second["readings"][UNDATED]
    assert used["used"] == "learned" and used["value"] == "everything"
    assert used["evidence"] == first["readings"][UNDATED]["proved"]["evidence"]
    assert second["by_endpoint"][REDEMPTIONS] == 1
    assert used["saved_requests"] == windows
