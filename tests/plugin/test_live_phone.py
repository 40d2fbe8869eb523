"""Phone identifiers against the live sandbox: any way a person writes the number finds
the member stored as national digits, merged with their other identifiers into one
subject; a member whose number merely starts with the same digits is never returned or
deleted."""

from __future__ import annotations

from typing import Any

import pytest

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox
from tests.helpers.host import Host, connection_for

PHIL, PHYLLIS = DEMO_PEOPLE["phil"], DEMO_PEOPLE["phyllis"]


@pytest.mark.parametrize("written", ["+1 209-809-0783", "(209) 809-0783", "+12098090783"])
async def test_every_way_of_writing_the_number_finds_the_member(
    host: Host, sandbox: Sandbox, written: str
) -> None:
    connection = connection_for(sandbox, phone_region="US")
    report = await host.access(connection, {"phone": [written]})
    assert [s["crowdtwist_id"] for s in report["subjects"]] == [PHIL.crowdtwist_id]
    assert report["subjects"][0]["matched"] == ["phone:+12098090783"]
    assert report["not_found"] == [] and report["possible_matches"] == []
    assert str(PHYLLIS.crowdtwist_id) not in repr(report)


async def test_a_phone_and_an_email_of_one_person_are_one_subject(
    host: Host, sandbox: Sandbox
) -> None:
    report = await host.access(
        connection_for(sandbox), {"phone": ["+1 209 809 0783"], "email": [PHIL.email]}
    )
    (subject,) = report["subjects"]
    assert subject["crowdtwist_id"] == PHIL.crowdtwist_id
    assert sorted(subject["matched"]) == [f"email:{PHIL.email}", "phone:+12098090783"]


async def test_a_neighbour_sharing_the_digits_is_never_deleted(
    host: Host, sandbox: Sandbox
) -> None:
    ticket = await host.submit(connection_for(sandbox), {"phone": ["+1 (209) 809-0783"]})
    assert [u["crowdtwist_id"] for u in ticket["users"]] == [PHIL.crowdtwist_id]
    assert dict(sandbox.counters.deletes_by_user) == {PHIL.crowdtwist_id: 1}


async def test_a_number_without_a_country_code_needs_the_region(
    host: Host, sandbox: Sandbox
) -> None:
    with pytest.raises(ConfigurationError, match="phone_region"):
        await host.access(connection_for(sandbox), {"phone": ["(209) 809-0783"]})
    connection: dict[str, Any] = connection_for(sandbox, phone_region="United States")
    with pytest.raises(ConfigurationError, match="phone_region must be a two-letter"):
        await host.access(connection, {"phone": ["+12098090783"]})


EMILE = DEMO_PEOPLE["emile"]
ASKED = "\u00c9mile@example.com"  # the sandbox, like a case-insensitive service, finds émile


async def test_a_unicode_case_variant_is_a_possible_match_never_not_found(
    host: Host, sandbox: Sandbox
) -> None:
    report = await host.access(connection_for(sandbox), {"email": [ASKED]})
    assert report["subjects"] == [] and report["not_found"] == []
    (possible,) = report["possible_matches"]
    assert possible["crowdtwist_id"] == EMILE.crowdtwist_id
    assert possible["identifier"] == f"email:{ASKED}"
    assert "Unicode case folding or NFKC" in possible["reason"]


async def test_a_deletion_with_only_a_possible_match_deletes_nobody_and_is_not_complete(
    host: Host, sandbox: Sandbox
) -> None:
    ticket = await host.submit(connection_for(sandbox), {"email": [ASKED]})
    assert ticket["users"] == [] and ticket["not_found"] == []
    assert ticket["state"] == "failed"
    assert [p["crowdtwist_id"] for p in ticket["possible_matches"]] == [EMILE.crowdtwist_id]
    assert not sandbox.counters.deletes_by_user
    assert await host.check(connection_for(sandbox), ticket) == ticket
