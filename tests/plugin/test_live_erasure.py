"""Issue 19: a deletion is complete only once the person is proved gone (live sandbox)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crowdtwist_plugin.erasure import DATA_SETS
from crowdtwist_plugin.errors import CrowdTwistError
from crowdtwist_sandbox import Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, BOB, CAROL
from tests.helpers.tickets import deletion_user, profile_labels, ticket_for

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
    submitted = await host.submit(connection, identifiers)
    # bob's profile: his email and third-party id (the request's) and his username
    assert submitted["users"][0]["profile_identifiers"] == [
        f"email:{BOB.email}",
        f"third_party_id:{BOB.third_party_id}",
        f"username:{BOB.username}",
    ]
    ticket = await settle(host, connection, submitted)
    assert ticket["state"] == "complete"
    assert ticket["verification"] == "verified"
    [user] = ticket["users"]
    assert user["verified"] is True
    assert user["verified_at"] == user["checked_at"]
    assert user["verification_failure"] is None
    assert "profile_identifiers" not in user  # not needed any more: the host keeps none
    search = "POST /v2/members"
    profile = "GET /v2/users/{user_id}"
    assert checks(user) == sorted(
        [
            BY_ID,
            (profile, "email", "not found"),
            (search, "email", "not found"),
            (profile, "user_id", "not found"),
            (search, "user_id", "not found"),
            (profile, "username", "not found"),
            (search, "username", "not found"),
            *((r.endpoint.name, "crowdtwist_id", "not found") for r in DATA_SETS),
        ]
    )
    # the fewest requests: 1 by id; per distinct identifier (the request's two, and the
    # username only the profile carried) 1 profile + 2 searches; 1 per data set
    assert len(DATA_SETS) == 11
    assert host.last_stats["verification_requests"] == 1 + 3 * 3 + 11
    text = repr(user["checks"])
    assert BOB.email not in text and BOB.third_party_id not in text and BOB.username not in text
    # a verified ticket is final: checking it again sends nothing
    before = len(sandbox.log)
    sandbox.counters.clear()
    assert (await host.check(connection, ticket))["state"] == "complete"
    assert len(sandbox.log) == before
    assert sandbox.counters.by_endpoint == {}
    assert host.last_stats["requests"] == 0


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
    old = ticket_for(deletion_user(BOB, held=False))
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


PURCHASES = "GET /users/{user_id}/purchases (POS host)"
STILL_ANSWERS = "still answers for the erased user"


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(deletion_step_seconds=STEP, lingering_data_sets=("purchases",))],
)
async def test_a_data_set_that_lingers_keeps_the_ticket_pending_and_is_named(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    ticket = await settle(host, connection, await host.submit(connection, {"email": [ALICE.email]}))
    for _ in range(2):  # and it stays so on every later check
        assert (ticket["state"], ticket["verification"]) == ("pending", "failed")
        [user] = ticket["users"]
        assert (PURCHASES, "crowdtwist_id", STILL_ANSWERS) in checks(user)
        assert PURCHASES in user["verification_failure"]
        ticket = await host.check(connection, ticket)
    lingering = [c for c in checks(user) if c[2] != "not found"]
    assert lingering == [(PURCHASES, "crowdtwist_id", STILL_ANSWERS)]
    text = repr(ticket["users"][0]["checks"]) + user["verification_failure"]
    assert ALICE.email not in text and str(ALICE.crowdtwist_id) not in text


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(deletion_step_seconds=STEP, lingering_identifiers=("email",))],
)
async def test_an_identifier_the_profile_carried_is_checked_after_a_deletion_by_user_id(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    submitted = await host.submit(connection, {"user_id": [ALICE.third_party_id]})
    assert submitted["users"][0]["profile_identifiers"] == [
        f"email:{ALICE.email}",
        f"third_party_id:{ALICE.third_party_id}",
        f"username:{ALICE.username}",
        f"phone:{ALICE.mobile_phone_number}",
    ]
    ticket = await settle(host, connection, submitted)
    assert (ticket["state"], ticket["verification"]) == ("pending", "failed")
    [user] = ticket["users"]
    profile = "GET /v2/users/{user_id}"
    assert (profile, "email", "still resolves to the erased user") in checks(user)
    assert f"{profile} by email" in user["verification_failure"]
    assert ALICE.email not in user["verification_failure"]
    # still held: the next check looks the person up by them again
    assert user["profile_identifiers"] == submitted["users"][0]["profile_identifiers"]


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(deletion_step_seconds=STEP, erasure_lag_seconds=0.5)]
)
async def test_a_failed_proof_by_phone_reads_back(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    phil = {"phone": ["+12098090783"]}
    ticket = await settle(host, connection, await host.submit(connection, phil))
    assert ticket["verification"] == "failed"
    found_by_phone = ("POST /v2/members", "phone", "still resolves to the erased user")
    assert found_by_phone in checks(ticket["users"][0])
    for _ in range(400):  # the ticket with its checks by phone is read back on every check
        if ticket["verification"] != "failed":
            break
        await asyncio.sleep(STEP)
        ticket = await host.check(connection, ticket)
    assert (ticket["state"], ticket["verification"]) == ("complete", "verified")


async def test_a_user_only_member_search_found_has_its_profile_read_at_submit(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    # the profile lookup by email says "not found": member search alone finds bob
    sandbox.add_fault("status", endpoint="profile", status=404, code="page_not_found")
    submitted = await host.submit(connection, {"email": [BOB.email]})
    [user] = submitted["users"]
    assert user["profile_identifiers"] == profile_labels(BOB)
    assert host.last_stats["by_endpoint"]["GET /v2/users/{user_id}"] == 2  # by email, by id


async def test_nothing_is_held_when_nothing_will_be_proved(host: Host, sandbox: Sandbox) -> None:
    connection = connection_for(sandbox, verify_erasure=False)
    submitted = await host.submit(connection, {"email": [BOB.email]})
    assert "profile_identifiers" not in submitted["users"][0]
