"""submit_deletion / check_deletion replayed from cassettes, polling sequences included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from vcr.cassette import Cassette

from crowdtwist_plugin.erasure import DATA_SETS
from crowdtwist_plugin.ticket import STATUS_RANK
from crowdtwist_sandbox import SandboxConfig
from tests.helpers.cassettes import methods
from tests.helpers.host import Host
from tests.helpers.people import ALICE, BOB, DAVE
from tests.helpers.tickets import deletion_user, ticket_for

pytestmark = pytest.mark.vcr

STEP = 0.25
POLL = 0.1
Pause = Callable[[float], Awaitable[None]]


async def poll(
    host: Host, connection: dict[str, Any], ticket: dict[str, Any], pause: Pause
) -> list[dict[str, Any]]:
    """check_deletion until the ticket settles (real short waits only while recording)."""
    tickets = [ticket]
    while tickets[-1]["state"] == "pending" and len(tickets) < 30:
        await pause(POLL)
        tickets.append(await host.check(connection, tickets[-1]))
    return tickets


def history(tickets: list[dict[str, Any]], index: int = 0) -> list[str]:
    return [t["users"][index]["status"] for t in tickets]


def assert_lifecycle(statuses: list[str]) -> None:
    ranks = [STATUS_RANK[s] for s in statuses]
    assert ranks == sorted(ranks), statuses  # never backwards
    assert list(dict.fromkeys(statuses)) == ["queued", "in_progress", "completed"]


@pytest.mark.parametrize(
    "sandbox_config",
    [
        SandboxConfig(deletion_step_seconds=STEP),
        SandboxConfig(deletion_step_seconds=STEP, deletion_status_paths=("user_deletion",)),  # type: ignore[arg-type]
        SandboxConfig(deletion_step_seconds=STEP, deletion_status_paths=("users/delete",)),  # type: ignore[arg-type]
    ],
    ids=["both-paths", "only-user_deletion", "only-users-delete"],
)
async def test_lifecycle(
    host: Host, ct_connection: dict[str, Any], vcr: Cassette, poll_pause: Pause
) -> None:
    ticket = await host.submit(ct_connection, {"email": [ALICE.email]})
    assert ticket["state"] == "pending"
    assert ticket["users"] == [deletion_user(ALICE)]
    tickets = await poll(host, ct_connection, ticket, poll_pause)
    assert_lifecycle(history(tickets))
    assert [t["state"] for t in tickets[:-1]] == ["pending"] * (len(tickets) - 1)
    assert tickets[-1]["state"] == "complete"
    assert tickets[-1]["users"][0]["detail"] == "Deletion_completed"
    # complete only once proved gone: by id; by the email and by what else alice's profile
    # carried (third-party id, username, phone) through both lookups; and every data set
    assert tickets[-1]["verification"] == "verified"
    assert [t["verification"] for t in tickets[:-1]] == ["pending"] * (len(tickets) - 1)
    kinds = ["email", "third_party_id", "username", "phone"]
    assert [(c["by"], c["outcome"]) for c in tickets[-1]["users"][0]["checks"]] == [
        ("crowdtwist_id", "not found"),
        *((kind, "not found") for kind in kinds for _ in ("profile", "search")),
        *(("crowdtwist_id", "not found") for _ in DATA_SETS),
    ]
    assert "profile_identifiers" not in tickets[-1]["users"][0]
    assert host.last_stats["verification_requests"] == 1 + 3 * len(kinds) + len(DATA_SETS)
    details = {t["users"][0]["detail"] for t in tickets}
    assert {"Deletion_initiated", "Deletion_in_progress"} & details
    assert methods(vcr).count("DELETE") == 1


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(deletion_step_seconds=STEP, forget_completed_deletions=True)],
    ids=["forgetful"],
)
async def test_forgotten_completion_confirmed_by_profile(
    host: Host, ct_connection: dict[str, Any], vcr: Cassette, poll_pause: Pause
) -> None:
    ticket = await host.submit(ct_connection, {"email": [ALICE.email]})
    tickets = await poll(host, ct_connection, ticket, poll_pause)
    assert_lifecycle(history(tickets))
    assert tickets[-1]["state"] == "complete"
    assert tickets[-1]["users"][0]["detail"] == "Member no longer exists"
    last_profile = [
        (req, resp)
        for req, resp in zip(vcr.requests, vcr.responses, strict=True)
        if req.method == "GET" and req.path == f"/v2/users/{ALICE.crowdtwist_id}"
    ]
    assert last_profile and last_profile[-1][1]["status"]["code"] == 404


async def test_idempotent_submit(host: Host, ct_connection: dict[str, Any], vcr: Cassette) -> None:
    first = await host.submit(ct_connection, {"email": [BOB.email]})
    second = await host.submit(ct_connection, {"user_id": [BOB.third_party_id]})
    assert first["users"][0]["status"] == "queued"
    assert second["users"][0]["crowdtwist_id"] == BOB.crowdtwist_id
    assert second["users"][0]["status"] in ("in_progress", "completed")
    assert methods(vcr).count("DELETE") == 1


async def test_nothing_matched(host: Host, ct_connection: dict[str, Any], vcr: Cassette) -> None:
    ticket = await host.submit(ct_connection, {"email": ["nobody@example.com"]})
    assert ticket["state"] == "complete"
    assert ticket["users"] == []
    assert ticket["not_found"] == ["email:nobody@example.com"]
    assert "DELETE" not in methods(vcr)


async def test_refused(host: Host, ct_connection: dict[str, Any]) -> None:
    ticket = await host.submit(ct_connection, {"email": [DAVE.email]})
    assert ticket["state"] == "failed"
    assert ticket["users"][0]["status"] == "rejected"
    assert ticket["users"][0]["detail"] == "Member is inactive but has redeemable points"


async def test_complete_on_submit(host: Host, ct_connection: dict[str, Any]) -> None:
    connection = {**ct_connection, "deletion_complete_on_submit": True}
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    assert ticket["state"] == "complete"
    assert ticket["users"][0]["status"] == "queued"


@pytest.mark.parametrize(
    "ticket",
    [
        "garbage",
        {"integration": "crowdtwist"},
        ticket_for(integration="other"),
    ],
    ids=["garbage", "partial", "other-integration"],
)
async def test_tampered_ticket(host: Host, ct_connection: dict[str, Any], ticket: Any) -> None:
    with pytest.raises(ValueError, match="ticket") as caught:
        await host.check(ct_connection, ticket)
    assert getattr(caught.value, "retryable", None) is False
