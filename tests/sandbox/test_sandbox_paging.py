"""History endpoints: the documented paging rules, page sizes, date ranges and shapes."""

from __future__ import annotations

from typing import Any, Literal

import attrs
import pytest
from yarl import URL

from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox

from .sandbox_client import FAST, Client, days_ago

ALICE = DEMO_PEOPLE["alice"]
TPID = {"id_type": "third_party_id"}


@attrs.frozen
class Paged:
    name: str
    origin: Literal["api", "pos"]
    path: str
    list_key: str
    total: int
    size: int
    max_size: int


PAGED = [
    Paged("receipts", "api", "/v2/users/A4364BX/receipts", "submitted_receipts", 30, 10, 25),
    Paged("purchases", "pos", "/users/A4364BX/purchases", "purchases", 23, 10, 10),
    Paged("redemptions", "api", "/v2.2/users/A4364BX/redemption_history", "rewards", 27, 10, 10),
]


def expected_page(total: int, size: int, page: int) -> tuple[int, int | None, int | None]:
    """(items on the page, next page number, previous page number) by the documented rules."""
    pages = -(-total // size)
    if page <= 0:
        return 0, 1, None
    if page > pages:
        return 0, None, (pages or None)
    count = min(size, total - (page - 1) * size)
    return count, (page + 1 if page < pages else None), (page - 1 if page > 1 else None)


def link_page(link: str | None) -> int | None:
    return None if link is None else int(URL(link).query["page"])


@pytest.mark.parametrize("endpoint", PAGED, ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("page", "page_size", "effective_page", "effective_size"),
    [
        (None, None, 1, None),
        ("abc", None, 1, None),
        ("1.5", None, 1, None),
        ("2", None, 2, None),
        ("3", None, 3, None),
        ("0", None, 0, None),
        ("-1", None, -1, None),
        ("4", None, 4, None),
        ("99", None, 99, None),
        ("1", "5", 1, 5),
        ("2", "1000", 2, 1000),
    ],
)
async def test_paging_rules(
    client: Client,
    endpoint: Paged,
    page: str | None,
    page_size: str | None,
    effective_page: int,
    effective_size: int | None,
) -> None:
    params = dict(TPID)
    if page is not None:
        params["page"] = page
    if page_size is not None:
        params["page_size"] = page_size
    reply = await client.get(endpoint.path, origin=endpoint.origin, params=params)
    assert reply.status == 200, reply.text
    body = reply.json()
    size = endpoint.size
    if effective_size is not None and endpoint.name != "purchases":  # POS: fixed 10 per page
        size = min(effective_size, endpoint.max_size)
    count, next_number, prev_number = expected_page(endpoint.total, size, effective_page)
    assert len(body[endpoint.list_key]) == count
    paging = body["paging"]
    assert paging["total"] == endpoint.total
    assert paging["pages"] == -(-endpoint.total // size)
    assert link_page(paging["next_page"]) == next_number
    assert link_page(paging["prev_page"]) == prev_number


@pytest.mark.parametrize("endpoint", PAGED, ids=lambda p: p.name)
async def test_links_are_absolute_keyless_and_walk_every_item_once(
    client: Client, sandbox: Sandbox, endpoint: Paged
) -> None:
    base = sandbox.api_base_url if endpoint.origin == "api" else sandbox.pos_base_url
    reply = await client.get(
        endpoint.path,
        origin=endpoint.origin,
        params=TPID,
        key="both" if endpoint.origin == "api" else "header",
    )
    seen: list[Any] = []
    pages = 0
    while True:
        body = reply.json()
        seen.extend(body[endpoint.list_key])
        pages += 1
        link = body["paging"]["next_page"]
        if link is None:
            break
        assert link.startswith(base + endpoint.path.split("?")[0])
        assert "api_key" not in link
        assert sandbox.api_key not in link
        assert URL(link).query["id_type"] == "third_party_id"
        if endpoint.origin == "api":
            reply = await client.get_url(str(URL(link).update_query(api_key=sandbox.api_key)))
        else:
            reply = await client.get_url(
                link, **{"X-CT-Authorization": f"CTApiKey {sandbox.api_key}"}
            )
    assert len(seen) == endpoint.total
    assert len({repr(sorted(item.items())) for item in seen}) == endpoint.total
    assert pages == -(-endpoint.total // endpoint.size)


async def test_links_keep_other_params_and_encoding(client: Client, sandbox: Sandbox) -> None:
    path = "/v2/users/bob%2Bloyalty%40example.com/receipts"
    reply = await client.get(path, params={"id_type": "email", "page": "0", "page_size": "1"})
    link = URL(reply.json()["paging"]["next_page"])
    assert str(link.origin()) == sandbox.api_base_url
    assert link.raw_path == "/v2/users/bob%2Bloyalty@example.com/receipts"
    assert dict(link.query) == {"id_type": "email", "page_size": "1", "page": "1"}


@pytest.mark.parametrize("page_size", ["0", "-3", "ten"])
async def test_bad_page_size_is_param_error(client: Client, page_size: str) -> None:
    reply = await client.get(PAGED[0].path, params={**TPID, "page_size": page_size})
    assert reply.status == 400
    assert reply.json()["error"] == "param_error"


async def test_member_without_records(client: Client) -> None:
    reply = await client.get("/v2/users/E0000NR/receipts", params=TPID)
    assert reply.json() == {
        "paging": {"total": 0, "pages": 0, "next_page": None, "prev_page": None},
        "submitted_receipts": [],
    }
    for category in ("activities", "rewards", "activity_history"):
        assert (await client.get(f"/v2/users/E0000NR/{category}", params=TPID)).json() == []


@pytest.mark.parametrize("category", ["activities", "rewards"])
async def test_unpaged_categories_are_bare_arrays(client: Client, category: str) -> None:
    reply = await client.get(f"/v2/users/A4364BX/{category}", params=TPID)
    items = reply.json()
    assert isinstance(items, list)
    assert len(items) == getattr(ALICE.records, category)


@pytest.mark.parametrize(
    ("params", "status", "count"),
    [
        ({}, 200, 10),
        ({"page_size": "20", "page_number": "1"}, 200, 20),
        ({"page_size": "20", "page_number": "3"}, 200, 17),
        ({"page_size": "20", "page_number": "4"}, 200, 0),
        ({"page_size": "1000", "page_number": "1"}, 200, 25),
        ({"page_size": "25", "page_number": "0"}, 200, 0),
        ({"page_size": "25", "page_number": "-2"}, 200, 0),
        ({"page_size": "20"}, 400, 0),
        ({"page_number": "2"}, 400, 0),
        ({"page_size": "x", "page_number": "1"}, 400, 0),
        ({"page_size": "0", "page_number": "1"}, 400, 0),
        ({"page_size": "10", "page_number": "two"}, 400, 0),
    ],
)
async def test_legacy_activity_history(
    client: Client, params: dict[str, str], status: int, count: int
) -> None:
    reply = await client.get("/v2/users/A4364BX/activity_history", params={**TPID, **params})
    assert reply.status == status
    if status == 200:
        assert isinstance(reply.json(), list)
        assert len(reply.json()) == count
    else:
        assert reply.json()["error"] == "param_error"


async def test_legacy_activity_history_item_types(client: Client) -> None:
    [item] = (
        await client.get(
            "/v2/users/A4364BX/activity_history",
            params={**TPID, "page_size": "1", "page_number": "1"},
        )
    ).json()
    assert isinstance(item["activity_id"], str)
    assert isinstance(item["num_points"], int)


@pytest.mark.parametrize("sandbox", [attrs.evolve(FAST, receipts_active=False)], indirect=True)
async def test_receipts_inactive_program(client: Client) -> None:
    reply = await client.get("/v2/users/A4364BX/receipts", params=TPID)
    assert reply.status == 400
    assert reply.json() == {
        "error": "receipt_scanning_inactive",
        "message": "Receipt scanning is not active for this program.",
    }


@pytest.mark.parametrize(
    "sandbox", [attrs.evolve(FAST, redemption_list_key="redemptions")], indirect=True
)
async def test_redemption_list_key_option(client: Client) -> None:
    body = (await client.get(PAGED[2].path, params=TPID)).json()
    assert set(body) == {"paging", "redemptions"}
    assert len(body["redemptions"]) == 10


@pytest.mark.parametrize(
    ("dates", "status", "total"),
    [
        ({}, 200, 27),  # no dates: the last year only
        ({"date_start": days_ago(730), "date_end": days_ago(365)}, 200, 6),
        ({"date_start": days_ago(365), "date_end": days_ago(0)}, 200, 27),
        ({"date_start": days_ago(366), "date_end": days_ago(0)}, 400, 0),
        ({"date_start": days_ago(700)}, 400, 0),
        ({"date_end": days_ago(10)}, 400, 0),
        ({"date_start": days_ago(10), "date_end": days_ago(10)}, 400, 0),
        ({"date_start": days_ago(5), "date_end": days_ago(10)}, 400, 0),
        ({"date_start": "2026/01/01", "date_end": days_ago(0)}, 400, 0),
        ({"date_start": "1590000000", "date_end": days_ago(0)}, 400, 0),
    ],
)
async def test_redemption_date_ranges(
    client: Client, dates: dict[str, str], status: int, total: int
) -> None:
    reply = await client.get(PAGED[2].path, params={**TPID, **dates})
    assert reply.status == status, reply.text
    if status == 200:
        assert reply.json()["paging"]["total"] == total
    else:
        assert reply.json()["error"] == "param_error"


@pytest.mark.parametrize(
    ("dates", "status"),
    [
        ({"date_start": days_ago(3000)}, 200),
        ({"date_start": days_ago(10), "date_end": days_ago(20)}, 400),
        ({"date_end": "yesterday"}, 400),
    ],
)
async def test_purchase_date_ranges(client: Client, dates: dict[str, str], status: int) -> None:
    reply = await client.get(PAGED[1].path, origin="pos", params={**TPID, **dates})
    assert reply.status == status
    if status == 200:
        assert reply.json()["paging"]["total"] == 23
    else:
        assert reply.json()["reason"] == "invalid"


@pytest.mark.parametrize(
    ("user_id", "id_type", "status", "reason"),
    [
        ("alice@example.com", "email", 200, None),
        ("5964464767", "mobile_phone_number", 200, None),
        (str(ALICE.crowdtwist_id), None, 200, None),
        ("Alice", "username", 400, "invalid"),
        ("nobody@example.com", "email", 400, "user_not_found"),
    ],
)
async def test_purchases_id_types(
    client: Client, user_id: str, id_type: str | None, status: int, reason: str | None
) -> None:
    params = {} if id_type is None else {"id_type": id_type}
    reply = await client.get(f"/users/{user_id}/purchases", origin="pos", params=params)
    assert reply.status == status
    if reason is not None:
        assert reply.json()["reason"] == reason
        assert set(reply.json()) == {"system", "reason", "description", "message"}


@pytest.mark.parametrize(
    "path",
    [
        "/v2/users/{}/activities",
        "/v2/users/{}/activity_history",
        "/v2/users/{}/rewards",
        "/v2/users/{}/receipts",
        "/v2.2/users/{}/redemption_history",
    ],
)
async def test_user_endpoints_unknown_user(client: Client, path: str) -> None:
    reply = await client.get(path.format("nobody@example.com"), params={"id_type": "email"})
    assert reply.status == 404
    assert reply.json() == {"error": "page_not_found", "message": "User does not exist."}
