"""Issue 19: a deletion is complete only once the person is proved gone (live sandbox)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crowdtwist_plugin.errors import CrowdTwistError
from host_stub.sandbox import Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.people import BOB, CAROL
from tests.helpers.tickets import deletion_user, ticket_for

STEP = 0.05
BY_ID = ("GET /v2/users/{user_id}", "crowdtwist_id", "not found")


async def settle(host: Host, connection: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    """The ticket once every user's deletion reached CrowdTwist's last status."""
    for _ in range(200):
        if all(u["status"] == "completed" for u in ticket["users"]):
            return ticket
        await asyncio.sleep(STEP / 2)
        ticket = await host.check(connection, ticket)
    raise AssertionError(f"never completed: {ticket}")


def checks(user: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((c["endpoint"], c["by"], c["outcome"]) for c in user["checks"])


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(deletion_step_seconds=STEP)


async def test_complete_only_once_verified_and_the_proof_names_no_identifier(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    identifiers = {"email": [BOB.email], "user_id": [BOB.third_party_id]}
    ticket = await settle(host, connection, await host.submit(connection, identifiers))
    assert ticket["state"] == "complete"
    assert ticket["verification"] == "verified"
    [user] = ticket["users"]
    assert user["verified"] is True
    assert user["verified_at"] == user["checked_at"]
    assert user["verification_failure"] is None
    search = "POST /v2/members"
    profile = "GET /v2/users/{user_id}"
    assert checks(user) == sorted(
        [
            BY_ID,
            (profile, "email", "not found"),
            (search, "email", "not found"),
            (profile, "user_id", "not found"),
            (search, "user_id", "not found"),
        ]
    )
    # the fewest requests: 1 by id, then per identifier 1 profile + 2 searches
    assert host.last_stats["verification_requests"] == 1 + 2 * 3
    text = repr(user["checks"])
    assert BOB.email not in text and BOB.third_party_id not in text
    # a verified ticket is final: checking it again sends nothing
    before = len(sandbox.log)
    assert (await host.check(connection, ticket))["state"] == "complete"
    assert len(sandbox.log) == before


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(deletion_step_seconds=STEP, erasure_lag_seconds=2.0)]
)
async def test_a_lagging_erasure_is_not_complete_until_the_member_stops_resolving(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await settle(host, connection, await host.submit(connection, {"email": [BOB.email]}))
    history = [ticket]
    while history[-1]["state"] == "pending" and len(history) < 400:
        await asyncio.sleep(STEP)
        history.append(await host.check(connection, history[-1]))
    states = [(t["state"], t["verification"]) for t in history]
    assert states[0] == ("pending", "failed")
    assert states[-1] == ("complete", "verified")
    assert set(states) == {("pending", "failed"), ("complete", "verified")}
    failed = history[0]["users"][0]
    assert failed["verified"] is False and failed["verified_at"] is None
    assert "still resolves" in failed["verification_failure"]
    assert ("GET /v2/users/{user_id}", "crowdtwist_id", "still resolves to the erased user") in (
        checks(failed)
    )


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(deletion_step_seconds=STEP, erasure_fails=True)]
)
async def test_a_failed_erasure_stays_pending_and_says_why(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await settle(host, connection, await host.submit(connection, {"email": [BOB.email]}))
    for _ in range(3):
        ticket = await host.check(connection, ticket)
        assert (ticket["state"], ticket["verification"]) == ("pending", "failed")
    reason = ticket["users"][0]["verification_failure"]
    assert "Deletion_completed" in reason and "POST /v2/members by email" in reason


async def test_a_fault_during_verification_raises_retryable_and_keeps_the_ticket(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    completed = ticket_for(deletion_user(CAROL, status="completed", detail="Deletion_completed"))
    sandbox.state.store.deletions.queue(CAROL.crowdtwist_id)
    sandbox.state.store.deletions.step = 0.0  # completed and erased at once
    sandbox.add_fault("status", endpoint="member_search", status=503, times=None)
    with pytest.raises(CrowdTwistError) as caught:
        await host.check(connection, completed)
    assert caught.value.retryable
    sandbox.clear_faults()
    ticket = await host.check(connection, completed)
    assert (ticket["state"], ticket["verification"]) == ("complete", "verified")


@pytest.mark.parametrize(
    ("extra", "verification"),
    [({"deletion_complete_on_submit": True}, "not_applicable"), ({"verify_erasure": False}, "off")],
)
async def test_nothing_is_verified_when_the_connection_says_so(
    host: Host, sandbox: Sandbox, extra: dict[str, Any], verification: str
) -> None:
    connection = connection_for(sandbox, **extra)
    ticket = await settle(host, connection, await host.submit(connection, {"email": [BOB.email]}))
    assert ticket["verification"] == verification
    assert ticket["state"] == "complete"
    assert "verified" not in ticket["users"][0]
    assert "verification_requests" not in host.last_stats


async def test_an_old_ticket_without_verification_fields_is_accepted(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    old = ticket_for(deletion_user(BOB))
    del old["verification"]  # as the plugin wrote it before verification
    sandbox.state.store.deletions.queue(BOB.crowdtwist_id)
    ticket = await settle(host, connection, await host.check(connection, old))
    assert ticket["verification"] in ("verified", "pending")


async def test_a_tampered_label_is_a_configuration_error_before_any_check(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    user = deletion_user(BOB, status="completed", detail="Deletion_completed", matched=["x:y"])
    with pytest.raises(CrowdTwistError) as caught:
        await host.check(connection, ticket_for(user))
    assert not caught.value.retryable and "unsupported identifier category" in str(caught.value)
