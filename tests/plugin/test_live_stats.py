"""Every output carries what its call cost, counted exactly and free of identifiers."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from crowdtwist_sandbox import Sandbox
from tests.helpers.host import Host
from tests.helpers.people import ALICE, ALICE_IDS, CAROL_IDS
from tests.helpers.secrets import leaks_in

TEMPLATES = {
    "profile": "GET /v2/users/{user_id}",
    "member_search": "POST /v2/members",
    "receipts": "GET /v2/users/{user_id}/receipts",
    "purchases": "GET /users/{user_id}/purchases (POS host)",
}


def assert_no_identifiers(stats: dict[str, Any], sandbox: Sandbox) -> None:
    text = json.dumps(stats)
    for secret in (ALICE.email, str(ALICE.crowdtwist_id), ALICE.third_party_id, "127.0.0.1"):
        assert secret not in text
    assert not leaks_in(text, [sandbox.api_key])


async def test_access_stats_count_every_request_by_template(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    await host.access(connection, ALICE_IDS)
    stats = host.last_stats
    assert stats["requests"] == len(sandbox.log) == sum(stats["by_endpoint"].values())
    sent = Counter(r.endpoint for r in sandbox.log)
    for endpoint, template in TEMPLATES.items():
        assert stats["by_endpoint"][template] == sent[endpoint]
    assert stats["retries"] == stats["responses_429"] == 0
    assert 0 <= stats["budget_wait_s"] <= stats["elapsed_s"]  # wall-clock, never summed
    assert_no_identifiers(stats, sandbox)


async def test_retries_and_429s_are_counted(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    sandbox.add_fault("rate_limit", endpoint="profile", retry_after="0", times=1)
    sandbox.add_fault("status", endpoint="receipts", status=503, times=2)
    await host.access(connection, ALICE_IDS)
    stats = host.last_stats
    assert stats["responses_429"] == 1
    assert stats["retries"] == 3
    assert stats["requests"] == len(sandbox.log)


async def test_every_hook_reports_its_own_cost(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    await host.validate(connection)
    assert host.last_stats["requests"] == 2  # one per origin
    ticket = await host.submit(connection, CAROL_IDS)
    submitted = host.last_stats["requests"]
    assert submitted == len(sandbox.log) - 2
    await host.check(connection, {**ticket, "stats": {"requests": 10**6}})  # stale: ignored
    assert 0 < host.last_stats["requests"] < submitted
    assert_no_identifiers(host.last_stats, sandbox)


async def test_progress_events_name_collections_and_counts_only(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="crowdtwist_plugin.progress")
    report = await host.access(connection, ALICE_IDS)
    events = [r for r in caplog.records if r.name == "crowdtwist_plugin.progress"]
    by_collection: dict[str, list[logging.LogRecord]] = {}
    for event in events:
        by_collection.setdefault(event.collection, []).append(event)  # type: ignore[attr-defined]
    (subject,) = report["subjects"]
    receipts = by_collection["receipts"]
    assert receipts[-1].records == len(subject["data"]["receipts"])  # type: ignore[attr-defined]
    assert receipts[-1].pages_done == receipts[-1].pages_known  # type: ignore[attr-defined]
    history = by_collection["activity_history"]
    assert history[0].pages_known is None  # type: ignore[attr-defined]
    assert history[-1].pages_known == history[-1].pages_done  # type: ignore[attr-defined]
    # Every date window of the redemption history counts into one progress.
    redemptions = by_collection["redemption_history"][-1]
    assert redemptions.pages_done == redemptions.pages_known  # type: ignore[attr-defined]
    assert redemptions.records >= len(subject["data"]["redemptions"])  # type: ignore[attr-defined]
    assert {"activities", "rewards", "purchases", "redemption_history"} <= set(by_collection)
    for event in events:
        text = event.getMessage()
        assert ALICE.email not in text and str(ALICE.crowdtwist_id) not in text
