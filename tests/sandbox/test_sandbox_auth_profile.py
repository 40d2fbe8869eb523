"""Authentication rules, unknown routes and the User Profile lookup."""

from __future__ import annotations

from typing import Literal

import pytest

from crowdtwist_sandbox import DEMO_PEOPLE

from .sandbox_client import Client, KeyMode

ALICE = DEMO_PEOPLE["alice"]
BOB = DEMO_PEOPLE["bob"]
FORBIDDEN = {"error": "forbidden", "message": "Invalid API key"}
USER_NOT_FOUND = {"error": "page_not_found", "message": "User does not exist."}
PURCHASES = f"/users/{ALICE.crowdtwist_id}/purchases"
Origin = Literal["api", "pos"]


@pytest.mark.parametrize(
    ("origin", "path", "key", "api_key", "status"),
    [
        ("api", "/v2/activities", "query", None, 200),
        ("api", "/v2/activities", "header", None, 200),
        ("api", "/v2/activities", "both", None, 200),
        ("api", "/v2/activities", "none", None, 403),
        ("api", "/v2/activities", "query", "wrong-key", 403),
        ("api", "/v2/activities", "header", "wrong-key", 403),
        ("api", f"/v2/users/{ALICE.crowdtwist_id}", "query", "wrong-key", 403),
        ("pos", PURCHASES, "header", None, 200),
        ("pos", PURCHASES, "query", None, 403),
        ("pos", PURCHASES, "both", None, 403),
        ("pos", PURCHASES, "none", None, 403),
        ("pos", PURCHASES, "header", "wrong-key", 403),
    ],
)
async def test_api_key_rules(
    client: Client, origin: Origin, path: str, key: KeyMode, api_key: str | None, status: int
) -> None:
    reply = await client.call("GET", path, origin=origin, key=key, api_key=api_key)
    assert reply.status == status
    if status == 403 and origin == "api":
        assert reply.json() == FORBIDDEN
    if status == 403 and origin == "pos":
        assert set(reply.json()) == {"system", "reason", "description", "message"}


@pytest.mark.parametrize(
    "header",
    ["ctapikey sandbox-demo-key", "CTApiKey  sandbox-demo-key", "CTApiV2Auth pub:sig", "Basic x"],
)
async def test_header_must_be_exact(client: Client, header: str) -> None:
    reply = await client.get("/v2/activities", key="none", headers={"X-CT-Authorization": header})
    assert reply.status == 403


@pytest.mark.parametrize(
    ("origin", "path"),
    [
        ("api", "/v2/nothing"),
        ("api", "/users/464565755/purchases"),
        ("api", "/v2.1/users/464565755/activity_history"),
        ("pos", "/v2/users/464565755/purchases"),
        ("pos", "/v2/users/464565755"),
    ],
)
async def test_unknown_routes_are_not_json(client: Client, origin: Origin, path: str) -> None:
    reply = await client.get(path, origin=origin)
    assert reply.status == 404
    assert reply.content_type == "text/html"


async def test_program_activities_catalogue(client: Client) -> None:
    items = (await client.get("/v2/activities")).json()
    assert isinstance(items, list)
    assert items
    assert {"id", "title", "num_points", "category_id", "type_id"} <= set(items[0])
    assert isinstance(items[0]["id"], str)


@pytest.mark.parametrize(
    ("user_id", "params", "expected_id"),
    [
        (str(ALICE.crowdtwist_id), {}, ALICE.crowdtwist_id),
        (str(ALICE.crowdtwist_id) + "/", {}, ALICE.crowdtwist_id),
        (str(ALICE.crowdtwist_id), {"id_type": "id"}, ALICE.crowdtwist_id),
        ("alice@example.com", {"id_type": "email"}, ALICE.crowdtwist_id),
        ("ALICE@Example.COM", {"id_type": "email"}, ALICE.crowdtwist_id),
        ("alice%40example.com", {"id_type": "email"}, ALICE.crowdtwist_id),
        ("A4364BX", {"id_type": "third_party_id"}, ALICE.crowdtwist_id),
        ("Alice", {"id_type": "username"}, ALICE.crowdtwist_id),
        ("5964464767", {"id_type": "mobile_phone_number"}, ALICE.crowdtwist_id),
        ("bob%2Bloyalty%40example.com", {"id_type": "email"}, BOB.crowdtwist_id),
        ("bob+loyalty@example.com", {"id_type": "email"}, BOB.crowdtwist_id),
        ("bob%2bloyalty@example.com", {"id_type": "email"}, BOB.crowdtwist_id),
    ],
)
async def test_profile_lookup(
    client: Client, user_id: str, params: dict[str, str], expected_id: int
) -> None:
    reply = await client.get(f"/v2/users/{user_id}", params=params)
    assert reply.status == 200, reply.text
    assert reply.json()["id"] == expected_id


@pytest.mark.parametrize(
    ("user_id", "params"),
    [
        ("alice@example.com", {}),  # id_type defaults to id
        ("a4364bx", {"id_type": "third_party_id"}),  # third-party ids are exact
        ("bob%20loyalty%40example.com", {"id_type": "email"}),  # a space is not a plus
        ("ann@example.co", {"id_type": "email"}),  # no begins-with on lookups
        ("999999999", {}),
        ("0464565755", {}),
    ],
)
async def test_profile_unknown_user(client: Client, user_id: str, params: dict[str, str]) -> None:
    reply = await client.get(f"/v2/users/{user_id}", params=params)
    assert reply.status == 404
    assert reply.json() == USER_NOT_FOUND


@pytest.mark.parametrize("id_type", ["Email", "EMAIL", "e-mail", ""])
async def test_profile_bad_id_type(client: Client, id_type: str) -> None:
    reply = await client.get("/v2/users/alice@example.com", params={"id_type": id_type})
    assert reply.status == 400
    assert reply.json()["error"] == "param_error"


@pytest.mark.parametrize(
    ("params", "status", "has_pii"),
    [
        ({}, 200, True),
        ({"pii": "true"}, 200, True),
        ({"pii": "false"}, 200, False),
        ({"pii": ""}, 200, False),
        ({"pii": "false", "id_type": "third_party_id"}, 200, False),
        ({"pii": "false", "id_type": "email"}, 400, False),
        ({"pii": "no"}, 400, False),
    ],
)
async def test_profile_pii(
    client: Client, params: dict[str, str], status: int, has_pii: bool
) -> None:
    user_id = {"email": ALICE.email, "third_party_id": ALICE.third_party_id}.get(
        params.get("id_type", "id"), str(ALICE.crowdtwist_id)
    )
    reply = await client.get(f"/v2/users/{user_id}", params=params)
    assert reply.status == status
    if status == 200:
        profile = reply.json()
        assert profile["id"] == ALICE.crowdtwist_id
        assert ("email_address" in profile) is has_pii
        assert ("first_name" in profile) is has_pii


async def test_profile_field_types(client: Client) -> None:
    profile = (await client.get(f"/v2/users/{ALICE.crowdtwist_id}")).json()
    assert isinstance(profile["id"], int)
    assert isinstance(profile["postal_code"], str)
    assert isinstance(profile["mobile_phone_number"], str)
    assert isinstance(profile["date_created"], int)
    assert profile["third_party_id"] == "A4364BX"


async def test_inactive_member_profile_is_served(client: Client) -> None:
    carol = DEMO_PEOPLE["carol"]
    profile = (await client.get(f"/v2/users/{carol.crowdtwist_id}")).json()
    assert profile["is_active"] is False
