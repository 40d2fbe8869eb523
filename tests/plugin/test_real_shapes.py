"""Issue 17: the plugin against the real structure of every answer it reads, and the
sandbox in the same structure (the profile as Oracle's Starter Kit saved it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crowdtwist_sandbox import Sandbox
from tests.helpers.fixed_service import FixedService, bodies, run_fixed_service
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE
from tests.helpers.records import (
    KIT_CREDENTIALS,
    KIT_PROFILE_FIELDS,
    KIT_TIER_FIELDS,
    as_disclosed,
    withheld_paths,
)

# The kit's string-typed numbers and its unix-second dates.
KIT_STRINGS = ("postal_code", "gender_id", "hash_algorithm_id", "password_generated")
KIT_UNIX_DATES = ("date_last_login", "date_last_updated", "date_created")

FIXTURE = bodies()


@pytest.fixture
async def service() -> AsyncIterator[FixedService]:
    async with run_fixed_service() as running:
        yield running


def fixed_connection(service: FixedService) -> dict[str, Any]:
    return {
        "api_key": service.api_key,
        "api_base_url": service.api_base_url,
        "pos_base_url": service.pos_base_url,
        "rate_limit_per_minute": 600_000,
        "user_id_type": "third_party_id",
    }


def test_the_fixture_profile_is_the_kits_structure() -> None:
    profile = FIXTURE["profile"]
    assert list(profile) == KIT_PROFILE_FIELDS
    assert list(profile["tier_info"]) == KIT_TIER_FIELDS
    assert all(isinstance(profile[f], str) for f in KIT_STRINGS)
    assert all(isinstance(profile[f], int) for f in KIT_UNIX_DATES)
    assert all(profile[f] is not None for f in KIT_CREDENTIALS)


async def test_access_against_the_real_shapes(host: Host, service: FixedService) -> None:
    profile = FIXTURE["profile"]
    report = await host.access(
        fixed_connection(service),
        {"email": [profile["email_address"]], "user_id": [profile["third_party_id"]]},
    )
    assert report["not_found"] == []
    [subject] = report["subjects"]
    assert subject["crowdtwist_id"] == profile["id"]
    assert subject["profile"] == as_disclosed(profile)
    assert [w["path"] for w in report["withheld"]] == withheld_paths(profile, "subjects[0].profile")
    assert subject["members"] == FIXTURE["member_search"]
    data = subject["data"]
    assert data["activities"] == FIXTURE["activities"]
    assert data["activity_history"] == FIXTURE["activity_history"]
    assert data["rewards"] == FIXTURE["rewards"]
    assert data["receipts"] == FIXTURE["receipts"]["submitted_receipts"]
    assert data["purchases"] == FIXTURE["purchases"]["purchases"]
    assert data["redemptions"] == FIXTURE["redemption_history"]["rewards"]
    purchase = FIXTURE["purchases"]["purchases"][0]
    assert data["purchase_details"] == [
        {
            "purchase_id": purchase["purchase_id"],
            "purchase_id_type": purchase["purchase_id_type"],
            **FIXTURE["purchase_detail"],
        }
    ]
    assert data["usable_coupons"] == FIXTURE["usable_coupons"]
    assert data["points"] == [FIXTURE["points"]]
    assert data["points_expiration"] == [FIXTURE["points_expiration"]]
    assert data["badges"] == FIXTURE["badges"]["badges"]
    assert data["household_invitations"] == FIXTURE["household_invitations"]
    # a redemption from 2015 in the undated answer proves nothing: the year windows are read
    assert [p for m, p in service.requests if p.endswith("redemption_history")]


async def test_credentials_and_deletion_against_the_real_shapes(
    host: Host, service: FixedService
) -> None:
    connection = fixed_connection(service)
    check = await host.validate(connection)
    assert check["ok"], check
    email = FIXTURE["profile"]["email_address"]
    ticket = await host.submit(connection, {"email": [email]})
    assert [u["status"] for u in ticket["users"]] == ["queued"]
    ticket = await host.check(connection, ticket)
    assert ticket["state"] == "complete", ticket


async def test_the_sandbox_serves_the_kits_structure(host: Host, sandbox: Sandbox) -> None:
    member = sandbox.state.store.members[ALICE.crowdtwist_id]
    assert list(member.profile) == KIT_PROFILE_FIELDS
    assert list(member.profile["tier_info"]) == KIT_TIER_FIELDS
    for field, value in FIXTURE["profile"].items():
        served = member.profile[field]
        if served is not None and value is not None:
            assert type(served) is type(value), field
    assert all(member.profile[f] is not None for f in KIT_CREDENTIALS)  # alice: social sign-in
    report = await host.access(connection_for(sandbox), {"email": [ALICE.email]})
    assert report["subjects"][0]["profile"] == as_disclosed(member.profile)
