"""submit_deletion / check_deletion against the live sandbox's asynchronous deletion queue."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from crowdtwist_plugin.ticket import STATUS_RANK
from crowdtwist_sandbox import Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, ANN, BOB, CAROL, DAVE
from tests.helpers.tickets import deletion_user, ticket_for

STEP = 0.1
FAST_DELETIONS = SandboxConfig(deletion_step_seconds=STEP)


async def poll_until_settled(
    host: Host, connection: dict[str, Any], ticket: dict[str, Any], limit: int = 40
) -> list[dict[str, Any]]:
    """Every ticket from ``ticket`` until it is no longer pending (polled every STEP/2 s)."""
    tickets = [ticket]
    while tickets[-1]["state"] == "pending" and len(tickets) < limit:
        await asyncio.sleep(STEP / 2)
        tickets.append(await host.check(connection, tickets[-1]))
    return tickets


def statuses(tickets: list[dict[str, Any]], crowdtwist_id: int) -> list[str]:
    return [u["status"] for t in tickets for u in t["users"] if u["crowdtwist_id"] == crowdtwist_id]


def assert_never_backwards(history: list[str]) -> None:
    ranks = [STATUS_RANK[s] for s in history]
    assert ranks == sorted(ranks), history


@pytest.mark.parametrize("sandbox_config", [FAST_DELETIONS], ids=["fast"])
async def test_lifecycle_queued_in_progress_completed(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    assert ticket["integration"] == "crowdtwist"
    assert ticket["state"] == "pending"
    assert ticket["not_found"] == []
    assert ticket["users"] == [deletion_user(ALICE)]
    tickets = await poll_until_settled(host, connection, ticket)
    history = statuses(tickets, ALICE.crowdtwist_id)
    assert_never_backwards(history)
    assert list(dict.fromkeys(history)) == ["queued", "in_progress", "completed"]
    assert [t["state"] for t in tickets][-1] == "complete"
    assert all(t["state"] == "pending" for t in tickets[:-1])
    assert tickets[-1]["users"][0]["detail"] == "Deletion_completed"
    assert {t["submitted_at"] for t in tickets} == {ticket["submitted_at"]}
    assert sandbox.counters.deletes_by_user[ALICE.crowdtwist_id] == 1
    # A completed ticket stays completed, without asking CrowdTwist again.
    sandbox.reset()
    again = await host.check(connection, json.loads(json.dumps(tickets[-1])))
    assert again == tickets[-1]
    assert sandbox.log == []


async def test_submit_is_idempotent(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    first = await host.submit(connection, {"email": [BOB.email]})
    second = await host.submit(connection, {"email": [BOB.email], "user_id": [BOB.third_party_id]})
    assert sandbox.counters.deletes_by_user[BOB.crowdtwist_id] == 1
    assert first["users"][0]["status"] == "queued"
    assert second["users"][0]["crowdtwist_id"] == BOB.crowdtwist_id
    assert second["users"][0]["status"] == "in_progress"
    assert second["users"][0]["matched"] == [f"email:{BOB.email}", f"user_id:{BOB.third_party_id}"]


async def test_nothing_matched_is_complete_at_once(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": ["nobody@example.com"], "user_id": ["NOPE"]})
    assert ticket["state"] == "complete"
    assert ticket["users"] == []
    assert ticket["not_found"] == ["email:nobody@example.com", "user_id:NOPE"]
    assert not any(r.method == "DELETE" for r in sandbox.log)
    assert await host.check(connection, ticket) == ticket


async def test_begins_with_neighbours_are_never_deleted(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": ["ann@example.com"]})
    assert [u["crowdtwist_id"] for u in ticket["users"]] == [ANN.crowdtwist_id]
    assert dict(sandbox.counters.deletes_by_user) == {ANN.crowdtwist_id: 1}


async def test_refused_deletion_is_rejected_and_failed(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [DAVE.email]})
    assert ticket["state"] == "failed"
    assert ticket["users"] == [
        deletion_user(
            DAVE,
            status="rejected",
            detail="Member is inactive but has redeemable points",
            held=False,  # a failed ticket is final: it needs them no more
        )
    ]
    assert await host.check(connection, ticket) == ticket


@pytest.mark.parametrize("sandbox_config", [FAST_DELETIONS], ids=["fast"])
async def test_rejected_and_pending_is_pending_until_the_other_completes(
    host: Host, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [CAROL.email, DAVE.email]})
    assert ticket["state"] == "pending"
    tickets = await poll_until_settled(host, connection, ticket)
    assert tickets[-1]["state"] == "failed"
    assert statuses(tickets, CAROL.crowdtwist_id)[-1] == "completed"
    assert set(statuses(tickets, DAVE.crowdtwist_id)) == {"rejected"}


@pytest.mark.parametrize(
    "sandbox_config",
    [
        SandboxConfig(deletion_step_seconds=STEP, deletion_status_paths=("user_deletion",)),  # type: ignore[arg-type]
        SandboxConfig(deletion_step_seconds=STEP, deletion_status_paths=("users/delete",)),  # type: ignore[arg-type]
    ],
    ids=["only-user_deletion", "only-users-delete"],
)
async def test_status_path_fallback(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    tickets = await poll_until_settled(host, connection, ticket)
    assert tickets[-1]["state"] == "complete"
    assert list(dict.fromkeys(statuses(tickets, ALICE.crowdtwist_id))) == [
        "queued",
        "in_progress",
        "completed",
    ]
    assert sandbox.counters.deletes_by_user[ALICE.crowdtwist_id] == 1
    served = {r.raw_path for r in sandbox.log if r.endpoint == "deletion_status"}
    assert served == {f"/v2/{sandbox.config.deletion_status_paths[0]}/{ALICE.crowdtwist_id}"}


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(deletion_step_seconds=STEP, forget_completed_deletions=True)],
    ids=["forgetful"],
)
async def test_forgotten_completion_confirmed_by_profile_lookup(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    tickets = await poll_until_settled(host, connection, ticket)
    assert tickets[-1]["state"] == "complete"
    assert tickets[-1]["users"][0]["status"] == "completed"
    assert tickets[-1]["users"][0]["detail"] == "Member no longer exists"
    assert_never_backwards(statuses(tickets, ALICE.crowdtwist_id))
    profile_checks = [r for r in sandbox.log if r.endpoint == "profile" and r.status == 404]
    assert profile_checks


@pytest.mark.parametrize("sandbox_config", [FAST_DELETIONS], ids=["fast"])
async def test_complete_on_submit(host: Host, sandbox: Sandbox) -> None:
    connection = connection_for(sandbox, deletion_complete_on_submit=True)
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    assert ticket["state"] == "complete"
    assert ticket["users"][0]["status"] == "queued"
    assert sandbox.counters.deletes_by_user[ALICE.crowdtwist_id] == 1


async def test_complete_on_submit_with_a_refusal_is_failed(host: Host, sandbox: Sandbox) -> None:
    connection = connection_for(sandbox, deletion_complete_on_submit=True)
    ticket = await host.submit(connection, {"email": [ALICE.email, DAVE.email]})
    assert ticket["state"] == "failed"


async def test_check_after_restart_with_persisted_ticket(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [CAROL.email]})
    persisted = json.loads(json.dumps(ticket))
    host.close()
    restarted = Host()  # a new plugin manager, as after a host restart
    try:
        refreshed = await restarted.check(connection, persisted)
        again = await restarted.check(connection, refreshed)
    finally:
        restarted.close()
        host.pm.register(host.plugin, name="crowdtwist")
    assert refreshed["users"][0]["status"] in ("in_progress", "completed")
    assert_never_backwards([ticket["users"][0]["status"], refreshed["users"][0]["status"]])
    assert_never_backwards([refreshed["users"][0]["status"], again["users"][0]["status"]])
    assert sandbox.counters.deletes_by_user[CAROL.crowdtwist_id] == 1


async def test_status_never_goes_backwards_from_a_later_ticket(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    # The host's stored ticket is ahead of what CrowdTwist reports right now.
    ahead = {**ticket, "users": [{**ticket["users"][0], "status": "in_progress", "detail": "x"}]}
    refreshed = await host.check(connection, ahead)
    assert refreshed["users"][0]["status"] == "in_progress"
    completed = {**ticket, "users": [{**ticket["users"][0], "status": "completed", "detail": "x"}]}
    assert (await host.check(connection, completed))["users"][0]["status"] == "completed"


async def test_ticket_of_unknown_user_is_refreshed_by_profile(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """A ticket naming a user that was never queued (e.g. restored from an old backup)."""
    ticket = ticket_for(deletion_user(111, matched=["user_id:X"]))
    refreshed = await host.check(connection, ticket)
    assert refreshed["users"][0]["status"] == "completed"
    assert refreshed["state"] == "complete"


async def test_delete_refused_because_already_queued_is_not_a_rejection(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """A DELETE whose answer was lost queued the user; the retried DELETE is refused."""
    sandbox.state.store.deletions.queue(ALICE.crowdtwist_id)  # the lost first DELETE
    # Both status routes still say "not queued" in CrowdTwist's own words.
    sandbox.add_fault(
        "status", endpoint="deletion_status", status=404, code="page_not_found", times=1
    )
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    assert sandbox.counters.deletes_by_user[ALICE.crowdtwist_id] == 1  # refused with a 400
    assert ticket["users"][0]["status"] == "in_progress"
    assert ticket["state"] == "pending"
