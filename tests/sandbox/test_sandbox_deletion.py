"""DELETE and the deletion status endpoints over the Queued -> ... -> completed lifecycle."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import attrs
import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox, SandboxConfig, routes_main, routes_pos
from crowdtwist_sandbox.sandbox_config import DATA_SET_ROUTES

from .sandbox_client import FAST, Client

CAROL = DEMO_PEOPLE["carol"]
BOB = DEMO_PEOPLE["bob"]
STATUS_ROUTES = ["/v2/users/delete/{}", "/v2/user_deletion/{}"]
NOT_QUEUED = {
    "error": "page_not_found",
    "message": "Member does not exist or not queued for deletion",
}
ORDER = ["Deletion_initiated", "Deletion_in_progress", "Deletion_completed"]


def _config(**changes: Any) -> SandboxConfig:
    config: SandboxConfig = attrs.evolve(FAST, **changes)
    return config


@attrs.define
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(sandbox: Sandbox) -> FakeClock:
    fake = FakeClock()
    sandbox.state.store.deletions.clock = fake
    return fake


async def test_delete_answers_queued(client: Client) -> None:
    reply = await client.call(
        "DELETE", f"/v2/users/{BOB.email.replace('+', '%2B')}", params={"id_type": "email"}
    )
    assert reply.status == 200
    assert reply.json() == {"user_id": BOB.crowdtwist_id, "status": "Queued"}
    assert client.sandbox.counters.deletes_by_user[BOB.crowdtwist_id] == 1


@pytest.mark.parametrize("sandbox", [_config(deletion_step_seconds=10.0)], indirect=True)
@pytest.mark.parametrize(
    ("elapsed", "status", "history_len", "gone"),
    [
        (0.0, "Deletion_initiated", 1, False),
        (9.9, "Deletion_initiated", 1, False),
        (10.0, "Deletion_in_progress", 2, False),
        (19.9, "Deletion_in_progress", 2, False),
        (20.0, "Deletion_completed", 3, True),
        (500.0, "Deletion_completed", 3, True),
    ],
)
async def test_lifecycle_by_clock(
    client: Client, clock: FakeClock, elapsed: float, status: str, history_len: int, gone: bool
) -> None:
    assert (await client.call("DELETE", f"/v2/users/{CAROL.crowdtwist_id}")).status == 200
    clock.now += elapsed
    for route in STATUS_ROUTES:
        body = (await client.get(route.format(CAROL.crowdtwist_id))).json()
        assert body["user_id"] == CAROL.crowdtwist_id
        assert body["initiated_by"] == "API"
        assert body["status"] == status
        history = body["status_history"]
        assert [h["status"] for h in history] == ORDER[:history_len]
        dates = [dt.datetime.fromisoformat(h["date"]) for h in history]
        assert dates == sorted(dates)
        assert history[0]["date"].endswith("+00:00")
    profile = await client.get(f"/v2/users/{CAROL.crowdtwist_id}")
    assert profile.status == (404 if gone else 200)
    found = (await client.search({"third_party_id": CAROL.third_party_id}, is_active="0")).json()
    assert len(found) == (0 if gone else 1)


@pytest.mark.parametrize("sandbox", [attrs.evolve(FAST, deletion_step_seconds=0.05)], indirect=True)
async def test_lifecycle_in_real_time(client: Client) -> None:
    user = CAROL.crowdtwist_id
    assert (await client.call("DELETE", f"/v2/users/{user}")).json()["status"] == "Queued"
    seen: list[str] = []
    for _ in range(200):
        status = (await client.get(f"/v2/users/delete/{user}")).json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "Deletion_completed":
            break
        await asyncio.sleep(0.01)
    assert seen[-1] == "Deletion_completed"
    assert seen == sorted(
        seen, key=["Deletion_initiated", "Deletion_in_progress", "Deletion_completed"].index
    )
    for path in ("", "/activities", "/activity_history", "/rewards", "/receipts"):
        reply = await client.get(f"/v2/users/{user}{path}")
        assert reply.status == 404
        assert reply.json()["message"] == "User does not exist."
    reply = await client.get(f"/users/{user}/purchases", origin="pos")
    assert reply.json()["reason"] == "user_not_found"
    again = await client.call("DELETE", f"/v2/users/{user}")
    assert again.status == 404
    assert again.json() == {"error": "page_not_found", "message": "Member not found"}


@pytest.mark.parametrize("sandbox", [_config(deletion_step_seconds=10.0)], indirect=True)
async def test_repeat_delete_while_pending_is_refused(client: Client, clock: FakeClock) -> None:
    path = f"/v2/users/{CAROL.third_party_id}"
    params = {"id_type": "third_party_id"}
    assert (await client.call("DELETE", path, params=params)).status == 200
    clock.now += 12
    again = await client.call("DELETE", path, params=params)
    assert again.status == 400
    assert again.json() == {"error": "input_error", "message": "Unable to initiate deletion"}
    assert client.sandbox.counters.deletes_by_user[CAROL.crowdtwist_id] == 2


async def test_inactive_member_with_points_is_refused(client: Client) -> None:
    dave = DEMO_PEOPLE["dave"]
    reply = await client.call("DELETE", f"/v2/users/{dave.crowdtwist_id}")
    assert reply.status == 400
    assert reply.json()["message"] == "Member is inactive but has redeemable points"
    status = await client.get(f"/v2/users/delete/{dave.crowdtwist_id}")
    assert status.status == 404
    assert (await client.get(f"/v2/users/{dave.crowdtwist_id}")).status == 200


@pytest.mark.parametrize(
    ("user_id", "params"),
    [("999999999", {}), ("nobody@example.com", {"id_type": "email"}), ("carol@example.com", {})],
)
async def test_delete_unknown_member(client: Client, user_id: str, params: dict[str, str]) -> None:
    reply = await client.call("DELETE", f"/v2/users/{user_id}", params=params)
    assert reply.status == 404
    assert reply.json() == {"error": "page_not_found", "message": "Member not found"}


@pytest.mark.parametrize("route", STATUS_ROUTES)
@pytest.mark.parametrize(
    "user_id", [str(DEMO_PEOPLE["alice"].crowdtwist_id), "999999999", "carol@example.com"]
)
async def test_status_not_queued(client: Client, route: str, user_id: str) -> None:
    reply = await client.get(route.format(user_id), params={"id_type": "email"})
    assert reply.status == 404
    assert reply.json() == NOT_QUEUED


@pytest.mark.parametrize(
    ("sandbox", "served", "unknown"),
    [
        (_config(deletion_status_paths=("users/delete",)), STATUS_ROUTES[0], STATUS_ROUTES[1]),
        (_config(deletion_status_paths=("user_deletion",)), STATUS_ROUTES[1], STATUS_ROUTES[0]),
    ],
    indirect=["sandbox"],
)
async def test_status_route_option(client: Client, served: str, unknown: str) -> None:
    await client.call("DELETE", f"/v2/users/{CAROL.crowdtwist_id}")
    assert (await client.get(served.format(CAROL.crowdtwist_id))).status == 200
    missing = await client.get(unknown.format(CAROL.crowdtwist_id))
    assert missing.status == 404
    assert missing.content_type == "text/html"


@pytest.mark.parametrize(
    ("sandbox", "forget"),
    [
        (_config(deletion_step_seconds=0.0, forget_completed_deletions=False), False),
        (_config(deletion_step_seconds=0.0, forget_completed_deletions=True), True),
    ],
    indirect=["sandbox"],
)
async def test_forget_completed_deletions(client: Client, forget: bool) -> None:
    await client.call("DELETE", f"/v2/users/{CAROL.crowdtwist_id}")
    reply = await client.get(f"/v2/user_deletion/{CAROL.crowdtwist_id}")
    if forget:
        assert reply.status == 404
        assert reply.json() == NOT_QUEUED
    else:
        assert reply.status == 200
        assert reply.json()["status"] == "Deletion_completed"


ALICE = DEMO_PEOPLE["alice"]


@pytest.mark.parametrize(
    "sandbox",
    [_config(deletion_step_seconds=0.0, lingering_data_sets=("purchases", "purchase_detail"))],
    indirect=True,
)
async def test_a_lingering_data_set_serves_the_erased_member(client: Client) -> None:
    await client.call("DELETE", f"/v2/users/{ALICE.crowdtwist_id}")
    user = str(ALICE.crowdtwist_id)
    assert (await client.get(f"/v2/users/{user}")).status == 404
    assert (await client.get(f"/v2/users/{user}/activities")).status == 404
    served = await client.get(f"/users/{user}/purchases", origin="pos")
    assert served.status == 200 and served.json()["paging"]["total"] == ALICE.records.purchases
    purchase = served.json()["purchases"][0]["purchase_id"]
    assert (await client.get(f"/purchase/{purchase}", origin="pos")).status == 200


@pytest.mark.parametrize(
    "sandbox", [_config(deletion_step_seconds=0.0, lingering_identifiers=("email",))], indirect=True
)
async def test_a_lingering_identifier_index_still_finds_the_erased_member(client: Client) -> None:
    await client.call("DELETE", f"/v2/users/{ALICE.crowdtwist_id}")
    by_email = await client.get(f"/v2/users/{ALICE.email}", params={"id_type": "email"})
    assert by_email.status == 200 and by_email.json()["id"] == ALICE.crowdtwist_id
    assert (await client.get(f"/v2/users/{ALICE.crowdtwist_id}")).status == 404
    by_tpid = await client.get(
        f"/v2/users/{ALICE.third_party_id}", params={"id_type": "third_party_id"}
    )
    assert by_tpid.status == 404
    assert (await client.search({"email_address": ALICE.email}, is_active="1")).json() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("lingering_data_sets", ("profile",)), ("lingering_identifiers", ("mail",))],
)
def test_lingering_switches_name_known_routes_and_id_types(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        SandboxConfig(**{field: value})


def test_every_lingering_data_set_is_a_route() -> None:
    handlers = {*vars(routes_main), *vars(routes_pos)}
    assert set(DATA_SET_ROUTES) <= handlers
