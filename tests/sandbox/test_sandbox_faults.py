"""Fault injection (through the Python API and the admin interface) and the admin interface."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from yarl import URL

from crowdtwist_sandbox import Sandbox

from .sandbox_client import Client, Reply

RECEIPTS = "/v2/users/A4364BX/receipts"
TPID = {"id_type": "third_party_id"}


def _is_json(reply: Reply) -> bool:
    try:
        reply.json()
    except ValueError:
        return False
    return True


FAULT_CASES: list[tuple[dict[str, Any], Callable[[Reply], bool]]] = [
    (
        {"kind": "status", "status": 503},
        lambda r: r.status == 503 and r.json()["error"] == "service_unavailable",
    ),
    (
        {"kind": "status", "status": 500},
        lambda r: r.status == 500 and r.json()["error"] == "internal_error",
    ),
    ({"kind": "status", "status": 502, "body": "empty"}, lambda r: r.status == 502 and not r.text),
    ({"kind": "status", "status": 504, "body": "empty"}, lambda r: r.status == 504),
    ({"kind": "status", "status": 408}, lambda r: r.status == 408),
    (
        {"kind": "rate_limit", "retry_after": "7"},
        lambda r: r.status == 429 and r.headers["Retry-After"] == "7",
    ),
    (
        {"kind": "rate_limit", "retry_after": "Wed, 21 Oct 2037 07:28:00 GMT"},
        lambda r: r.headers["Retry-After"] == "Wed, 21 Oct 2037 07:28:00 GMT",
    ),
    (
        {"kind": "rate_limit"},
        lambda r: r.status == 429 and "Retry-After" not in r.headers,
    ),
    (
        {"kind": "malformed_json"},
        lambda r: r.status == 200 and r.content_type == "application/json" and not _is_json(r),
    ),
    ({"kind": "html"}, lambda r: r.status == 200 and r.content_type == "text/html"),
    (
        {"kind": "empty"},
        lambda r: r.status == 200 and r.text == "" and r.content_type == "application/json",
    ),
    (
        {"kind": "wrong_content_type"},
        lambda r: r.status == 200 and r.content_type == "text/plain" and _is_json(r),
    ),
]


@pytest.mark.parametrize(
    ("spec", "check"), FAULT_CASES, ids=[json.dumps(spec) for spec, _ in FAULT_CASES]
)
async def test_fault_kinds_then_recovery(
    client: Client, spec: dict[str, Any], check: Callable[[Reply], bool]
) -> None:
    client.sandbox.add_fault(endpoint="receipts", **spec)
    faulty = await client.get(RECEIPTS, params=TPID)
    assert check(faulty), (faulty.status, faulty.headers, faulty.text)
    healthy = await client.get(RECEIPTS, params=TPID)
    assert healthy.status == 200
    assert healthy.json()["paging"]["total"] == 30


async def test_dropped_connection(client: Client) -> None:
    # aiohttp retries an idempotent request once by itself after a disconnect: drop twice.
    client.sandbox.add_fault("drop_connection", endpoint="purchases", times=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.get("/users/A4364BX/purchases", origin="pos", params=TPID)
    assert [r.status for r in client.sandbox.log] == [0, 0]
    assert (await client.get("/users/A4364BX/purchases", origin="pos", params=TPID)).status == 200


async def test_echo_repeats_the_request_in_both_envelopes(client: Client) -> None:
    client.sandbox.add_fault("echo", status=409, times=None)
    main = await client.get("/v2/users/bob%2Bloyalty%40example.com", params={"id_type": "email"})
    assert main.status == 409
    body = main.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "bob+loyalty@example.com"
    assert "/v2/users/bob%2Bloyalty@example.com?id_type=email" in body["message"]
    assert "/v2/users/bob+loyalty@example.com?id_type=email" in body["message"]
    search = await client.search({"email_address": "bob+loyalty@example.com"})
    assert search.json()["error"] == "members"
    assert '{"email_address": "bob+loyalty@example.com"}' in search.json()["message"]
    pos = await client.get("/users/B7781QK/purchases", origin="pos", params=TPID)
    envelope = pos.json()
    assert (envelope["system"], envelope["reason"]) == ("pos", "purchases")
    assert "/users/B7781QK/purchases?id_type=third_party_id" in envelope["description"]
    assert envelope["message"] == envelope["description"]
    url = f"{client.sandbox.api_base_url}/v2/users/B7781QK?id_type=third_party_id"
    async with client.session.get(url) as response:
        assert response.reason == "Bad request /v2/users/B7781QK?id_type=third_party_id"


async def test_latency_fault_and_configured_latency(client: Client) -> None:
    client.sandbox.add_fault("latency", endpoint="profile", seconds=0.3)
    started = time.monotonic()
    reply = await client.get("/v2/users/464565755")
    assert reply.status == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("fields", "requests", "expected"),
    [
        ({"times": 2}, [RECEIPTS] * 3, [503, 503, 200]),
        ({"times": None}, [RECEIPTS] * 3, [503, 503, 503]),
        ({"endpoint": "user_rewards"}, [RECEIPTS, "/v2/users/A4364BX/rewards"], [200, 503]),
        ({"path_regex": r"/rewards$"}, [RECEIPTS, "/v2/users/A4364BX/rewards"], [200, 503]),
        ({"method": "delete"}, [RECEIPTS], [200]),
        ({"method": "get", "origin": "pos"}, [RECEIPTS], [200]),
    ],
)
async def test_fault_matching_and_counts(
    client: Client, fields: dict[str, Any], requests: list[str], expected: list[int]
) -> None:
    client.sandbox.add_fault("status", status=503, **fields)
    statuses = [(await client.get(path, params=TPID)).status for path in requests]
    assert statuses == expected


async def test_clear_faults(client: Client) -> None:
    client.sandbox.add_fault("status", times=None)
    client.sandbox.clear_faults()
    assert (await client.get(RECEIPTS, params=TPID)).status == 200


async def _first_page(client: Client, page: str = "1") -> dict[str, Any]:
    reply = await client.get(RECEIPTS, params={**TPID, "page": page})
    body: dict[str, Any] = reply.json()
    return body


async def test_loop_next_page(client: Client) -> None:
    client.sandbox.add_fault("loop_next_page", endpoint="receipts")
    link = URL((await _first_page(client, "2"))["paging"]["next_page"])
    assert link.query["page"] == "2"


async def test_foreign_next_page(client: Client) -> None:
    client.sandbox.add_fault("foreign_next_page")
    link = URL((await _first_page(client))["paging"]["next_page"])
    assert link.host == "evil.example.net"
    assert "api_key" not in link.query
    assert link.path == RECEIPTS
    assert link.query["page"] == "2"


async def test_duplicate_items_across_pages(client: Client) -> None:
    first = (await _first_page(client))["submitted_receipts"]
    client.sandbox.add_fault("duplicate_items", endpoint="receipts", times=None)
    second = (await _first_page(client, "2"))["submitted_receipts"]
    assert second[0] == first[-1]
    assert len(second) == 11


async def test_paging_faults_are_not_used_up_by_other_endpoints(client: Client) -> None:
    client.sandbox.add_fault("loop_next_page")
    await client.get("/v2/users/A4364BX", params=TPID)
    link = URL((await _first_page(client))["paging"]["next_page"])
    assert link.query["page"] == "1"


async def test_admin_faults_over_http(client: Client) -> None:
    created = await client.admin(
        "POST",
        "faults",
        [{"kind": "status", "status": 500, "endpoint": "receipts", "times": 1}, {"kind": "html"}],
    )
    assert created.status == 201
    assert [f["kind"] for f in created.json()["faults"]] == ["status", "html"]
    assert (await client.get(RECEIPTS, params=TPID)).status == 500
    listed = (await client.admin("GET", "faults")).json()["faults"]
    assert [f["kind"] for f in listed] == ["html"]
    assert (await client.admin("DELETE", "faults")).json() == {"faults": []}
    assert (await client.get(RECEIPTS, params=TPID)).status == 200
    bad = await client.admin("POST", "faults", {"kind": "nonsense"})
    assert bad.status == 400


async def test_admin_log_counters_reset(client: Client, sandbox: Sandbox) -> None:
    await client.get(RECEIPTS, params=TPID)
    await client.get("/users/A4364BX/purchases", origin="pos", params=TPID)
    await client.get(RECEIPTS, params=TPID, api_key="wrong")
    log = (await client.admin("GET", "log")).json()["requests"]
    assert [(r["origin"], r["endpoint"], r["status"]) for r in log] == [
        ("api", "receipts", 200),
        ("pos", "purchases", 200),
        ("api", "receipts", 403),
    ]
    assert log[0]["query"] == {"id_type": "third_party_id", "api_key": "***"}
    assert log[0]["path"] == RECEIPTS
    counters = (await client.admin("GET", "counters")).json()
    assert counters["by_endpoint"] == {"receipts": 2, "purchases": 1}
    assert counters["by_status"] == {"200": 2, "403": 1}
    assert (await client.admin("POST", "reset")).status == 200
    assert (await client.admin("GET", "log")).json()["requests"] == []
    assert sandbox.counters.by_endpoint == {}


async def test_admin_rate_limit_over_http(client: Client) -> None:
    reply = await client.admin(
        "POST", "rate_limit", {"rate_per_second": 0.001, "capacity": 1, "retry_after": "30"}
    )
    assert reply.json() == {"rate_per_second": 0.001, "capacity": 1, "retry_after": "30"}
    assert (await client.get(RECEIPTS, params=TPID)).status == 200
    limited = await client.get(RECEIPTS, params=TPID)
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "30"
    for _ in range(3):  # admin calls are neither limited nor logged
        assert (await client.admin("GET", "counters")).status == 200
    await client.admin("POST", "rate_limit", {"rate_per_second": None})
    assert (await client.get(RECEIPTS, params=TPID)).status == 200
    assert len(client.sandbox.log) == 3


async def test_key_never_echoed(client: Client, sandbox: Sandbox) -> None:
    client.sandbox.add_fault("foreign_next_page", times=None)
    replies = [
        await client.get(RECEIPTS, params=TPID, key="both"),
        await client.get("/users/A4364BX/purchases", origin="pos", params=TPID),
        await client.get("/v2.2/users/A4364BX/redemption_history", params=TPID),
        await client.get("/v2/users/nobody", params=TPID),
        await client.get("/v2/nothing"),
        await client.search({"email_address": "ann"}),
    ]
    admin = [await client.admin("GET", "log"), await client.admin("GET", "counters")]
    for reply in replies + admin:
        assert sandbox.api_key not in reply.text
        assert sandbox.api_key not in json.dumps(dict(reply.headers))
    assert sandbox.api_key not in repr(sandbox.log)
