"""Member Search: begins-with and exact rules, is_active, and the 400s."""

from __future__ import annotations

from typing import Any

import pytest

from crowdtwist_sandbox import DEMO_PEOPLE

from .sandbox_client import Client

P = DEMO_PEOPLE


def ids(*names: str) -> list[int]:
    return sorted(P[name].crowdtwist_id for name in names)


@pytest.mark.parametrize(
    ("body", "params", "expected"),
    [
        ({"email_address": "ann@example.com"}, {}, ids("ann", "ann_au")),
        ({"email_address": "ANN@EXAMPLE.COM"}, {}, ids("ann", "ann_au")),
        ({"email_address": "ann"}, {}, ids("ann", "ann_au", "annabel")),
        ({"email_address": "ann@example.com.au"}, {}, ids("ann_au")),
        ({"email_address": "bob+loyalty@example.com"}, {}, ids("bob")),
        ({"email_address": "bob loyalty@example.com"}, {}, []),
        ({"first_name": "ann"}, {}, ids("ann", "ann_au", "annabel", "ann_alike")),
        (
            {"first_name": "Ann", "last_name": "Lee"},
            {},
            ids("ann", "ann_au", "annabel", "ann_alike"),
        ),
        ({"first_name": "Ann", "email_address": "a.lee@"}, {}, ids("ann_alike")),
        ({"third_party_id": "A4364BX"}, {}, ids("alice")),
        ({"third_party_id": "A4364B"}, {}, []),  # exact, not begins-with
        ({"third_party_id": "a4364bx"}, {}, []),
        ({"username": "bobloyalty"}, {}, ids("bob")),
        ({"username": "boblo"}, {}, []),
        ({"mobile_phone_number": "5964464767"}, {}, ids("alice")),
        ({"member_id": P["erin"].crowdtwist_id}, {}, ids("erin")),
        ({"email_address": "ann@", "postal_code": "10002"}, {}, ids("ann")),
        ({"email_address": "ann@", "postal_code": 10002}, {}, ids("ann")),
        ({"email_address": "carol@example.com"}, {}, []),  # inactive: hidden by default
        ({"email_address": "carol@example.com"}, {"is_active": "0"}, ids("carol")),
        ({"email_address": "carol@example.com"}, {"is_active": "false"}, ids("carol")),
        ({"email_address": "carol@example.com"}, {"is_active": "1"}, []),
        ({"email_address": "alice@example.com"}, {"is_active": "true"}, ids("alice")),
        ({"email_address": "alice@example.com"}, {"is_active": "0"}, []),
        ({"email_address": "d"}, {"is_active": "0"}, ids("dave")),
    ],
)
async def test_member_search(
    client: Client, body: dict[str, Any], params: dict[str, str], expected: list[int]
) -> None:
    reply = await client.search(body, **params)
    assert reply.status == 200, reply.text
    members = reply.json()
    assert isinstance(members, list)
    assert sorted(m["member_id"] for m in members) == expected


async def test_member_search_fields(client: Client) -> None:
    [member] = (await client.search({"third_party_id": "A4364BX"})).json()
    assert member["member_id"] == P["alice"].crowdtwist_id
    assert member["user_name"] == "Alice"
    assert "username" not in member
    assert member["email_address"] == "alice@example.com"
    assert {"first_name", "last_name", "third_party_id"} <= set(member)


@pytest.mark.parametrize(
    ("body", "params"),
    [
        (None, {}),
        ({}, {}),
        ([], {}),
        ({"postal_code": "10002"}, {}),
        ({"postal_code": "10002", "third_party_id": "ANN-0001"}, {}),
        ({"email": "ann@example.com"}, {}),  # not a documented field
        ({"email_address": ""}, {}),
        ({"email_address": 5}, {}),
        ({"member_id": "464565755"}, {}),
        ({"email_address": "ann@"}, {"is_active": "yes"}),
    ],
)
async def test_member_search_param_errors(
    client: Client, body: Any, params: dict[str, str]
) -> None:
    reply = await client.search(body, **params)
    assert reply.status == 400
    assert reply.json()["error"] == "param_error"


async def test_member_search_requires_json_content_type(client: Client) -> None:
    reply = await client.call(
        "POST", "/v2/members", headers={"Content-Type": "text/plain"}, body=None
    )
    assert reply.status == 400


async def test_member_search_is_post_only(client: Client) -> None:
    reply = await client.get("/v2/members")
    assert reply.status == 405
    assert reply.content_type == "text/html"
